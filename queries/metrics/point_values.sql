-- point_values: the final estimates of the estimated stories, as how many stories of each team
-- have each estimate (the team's program beside it).
-- parameters: $1 = team (NULL for every team), $2 = program (NULL for every program),
--             $3 = sprint id (NULL: every story; else the stories of that sprint's items),
--             $4 = since (NULL, or only stories created on or after this day)
-- columns: team (varchar), program (varchar, NULL when the team has none), estimate (double),
--          stories (bigint: how many of the team's stories have this estimate)
with estimated as (
    select team, story, estimate, created_at
    from stories
    where estimate is not null
),
chosen as (
    select e.team, t.program, e.estimate
    from estimated e
    join teams t using (team)
    where ($1::varchar is null or e.team = $1::varchar)
      and ($2::varchar is null or t.program = $2::varchar)
      and ($3::varchar is null or exists (
            select 1 from sprint_items i
            where i.team = e.team and i.story = e.story and i.sprint_id = $3::varchar))
      and ($4::date is null or e.created_at >= $4::date)
),
final as (
    select team, program, estimate, count(*) as stories
    from chosen
    group by all
)
select * from final order by team, estimate
