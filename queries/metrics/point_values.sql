-- point_values: the final estimate of every estimated story, with its team's program.
-- parameters: $1 = team (NULL for every team), $2 = program (NULL for every program),
--             $3 = sprint id (NULL: every story; else the stories of that sprint's items),
--             $4 = since (NULL, or only stories created on or after this day)
-- columns: team (varchar), program (varchar, NULL when the team has none), estimate (double)
with estimated as (
    select team, story, estimate, created_at
    from stories
    where estimate is not null
),
final as (
    select e.team, t.program, e.estimate
    from estimated e
    join teams t using (team)
    where ($1::varchar is null or e.team = $1::varchar)
      and ($2::varchar is null or t.program = $2::varchar)
      and ($3::varchar is null or exists (
            select 1 from sprint_items i
            where i.team = e.team and i.story = e.story and i.sprint_id = $3::varchar))
      and ($4::date is null or e.created_at >= $4::date)
)
select * from final order by team, estimate
