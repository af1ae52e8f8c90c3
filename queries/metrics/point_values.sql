-- point_values: the final estimate of every estimated story, with its team's program.
-- parameters: $1 = team (NULL for every team), $2 = program (NULL for every program)
-- columns: team (varchar), program (varchar, NULL when the team has none), estimate (double)
with estimated as (
    select team, estimate
    from stories
    where estimate is not null
),
final as (
    select e.team, t.program, e.estimate
    from estimated e
    join teams t using (team)
    where ($1::varchar is null or e.team = $1::varchar)
      and ($2::varchar is null or t.program = $2::varchar)
)
select * from final order by team, estimate
