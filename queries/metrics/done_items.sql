-- done_items: sprint items done with a known size, with their cycle time and actual hours.
-- parameters: $1 = team (NULL for every team), $2 = program (NULL for every program),
--             $3 = sprint id (NULL for every sprint), $4 = since (NULL, or items completed on
--             or after this day)
-- columns: team, sprint_id, story, points (double, points at the end), cycle_days (double:
--          completed_at - started_at in days, NULL when either is unknown), actual_hours (double),
--          completed_at (timestamp), title (the story's title, NULL when unknown)
with done as (
    select i.*
    from sprint_items i
    join teams t using (team)
    where i.status = 'done'
      and i.points_end is not null
      and ($1::varchar is null or i.team = $1::varchar)
      and ($2::varchar is null or t.program = $2::varchar)
      and ($3::varchar is null or i.sprint_id = $3::varchar)
      and ($4::date is null or i.completed_at >= $4::date)
),
final as (
    select
        d.team,
        d.sprint_id,
        d.story,
        d.points_end as points,
        epoch(d.completed_at - d.started_at) / 86400.0 as cycle_days,
        d.actual_hours,
        d.completed_at,
        s.title
    from done d
    left join stories s on s.team = d.team and s.story = d.story
)
select * from final order by team, points, sprint_id, story
