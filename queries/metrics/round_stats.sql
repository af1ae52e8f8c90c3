-- round_stats: every Planning Poker round of the chosen stories with the figures kept at
-- ingest (queries/writes/round_stats_refresh.sql), and the story's final estimate.
-- parameters: $1 = team (NULL for every team), $2 = program (NULL for every program),
--             $3 = sprint id (NULL: every story; else only stories of that sprint's items),
--             $4 = since (NULL, or only rounds whose first vote was cast on or after this day),
--             $5 = with voters (false: the three voter lists are NULL, for reports that read
--                  only the rounds' figures)
-- columns: team, session, story, round, votes, numeric_votes, question_votes (integer),
--          min_step, max_step (integer, NULL without numeric votes), steps (list of
--          (step, votes): numeric votes per deck step), low_voters, high_voters (lists of
--          voters at the lowest and highest step), round1_votes (round 1 only: list of
--          (step, voter), each numeric vote), last_round_only (boolean: the source keeps only
--          the story's last round), estimate (double: the story's final estimate,
--          NULL when unknown)
with chosen as (
    select r.team, r.session, r.story, r.round, r.votes, r.numeric_votes, r.question_votes,
           r.min_step, r.max_step, r.steps,
           case when $5::boolean then r.low_voters end as low_voters,
           case when $5::boolean then r.high_voters end as high_voters,
           case when $5::boolean then r.round1_votes end as round1_votes,
           coalesce(r.last_round_only, false) as last_round_only
    from round_stats r
    join teams t using (team)
    where ($1::varchar is null or r.team = $1::varchar)
      and ($2::varchar is null or t.program = $2::varchar)
      and ($3::varchar is null or exists (
            select 1 from sprint_items i
            where i.team = r.team and i.story = r.story and i.sprint_id = $3::varchar))
      and ($4::date is null or r.first_voted_at >= $4::date)
),
final as (
    select c.*, s.estimate
    from chosen c
    left join stories s on s.team = c.team and s.story = c.story
)
select * from final order by team, story, session, round
