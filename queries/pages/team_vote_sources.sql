-- team_vote_sources: where one team's votes come from, and when its last round was voted:
-- captured live (round events mark their rounds complete), a tool's export that keeps only the
-- last round, or native files (neither mark).
-- parameters: $1 = team
-- columns: source ('live', 'last round only', 'native file'), rounds, votes,
--          last_voted_at (timestamp, NULL when no vote has a time)
with chosen as (
    select case
               when last_round_only is null then 'native file'
               when last_round_only then 'last round only'
               else 'live'
           end as source,
           session, story, round, voted_at
    from votes
    where team = $1::varchar
),
final as (
    select source,
           count(distinct (session, story, round)) as rounds,
           count(*) as votes,
           max(voted_at) as last_voted_at
    from chosen
    group by source
)
select * from final order by source
