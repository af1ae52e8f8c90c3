-- team_vote_sources: where one team's votes come from, and when its last round was voted:
-- played in an estimation room of sprintlens, captured live from a poker tool (round events
-- mark their rounds complete), a tool's export that keeps only the last round, or native files
-- (neither mark).
-- parameters: $1 = team
-- columns: source ('live room', 'live', 'last round only', 'native file'), rounds, votes,
--          last_voted_at (timestamp, NULL when no vote has a time)
with rooms_of_team as (
    select distinct session from rooms where team = $1::varchar
),
chosen as (
    select case
               when v.session in (select session from rooms_of_team) then 'live room'
               when v.last_round_only is null then 'native file'
               when v.last_round_only then 'last round only'
               else 'live'
           end as source,
           v.session, v.story, v.round, v.voted_at
    from votes v
    where v.team = $1::varchar
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
