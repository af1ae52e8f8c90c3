-- round1_votes: every numeric vote of every first round of the chosen teams' stories that were
-- done with a known cycle time (the stories an outcome size can exist for), with the story's
-- final estimate (voter calibration against the room and against outcomes, on the same votes).
-- parameters: $1 = team (NULL for every team), $2 = program (NULL for every program)
-- columns: team, story, session, voter, step (integer: k(vote), the card's position in the
--          team's deck), estimate (double: the story's final estimate, NULL when unknown)
-- order: none (the reader groups each first round's votes)
with firsts as (
    select r.team, r.story, r.session, unnest(r.round1_votes) as v
    from round_stats r
    join teams t using (team)
    where r.round = 1
      and not coalesce(r.last_round_only, false)
      and ($1::varchar is null or r.team = $1::varchar)
      and ($2::varchar is null or t.program = $2::varchar)
      -- A semi join on the pair (a correlated exists was planned slower).
      and (r.team, r.story) in (
            select team, story from sprint_items
            where status = 'done' and started_at is not null and completed_at is not null)
),
final as (
    select f.team, f.story, f.session, f.v.voter as voter, f.v.step as step, s.estimate
    from firsts f
    left join stories s on s.team = f.team and s.story = f.story
)
select * from final
