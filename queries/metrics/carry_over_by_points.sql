-- carry_over_by_points: per team and point value, how often committed items were not done.
-- parameters: $1 = team (NULL for every team), $2 = program (NULL for every program)
-- columns: team, points (double, points at the start), committed_items (bigint),
--          carried_items (bigint), carry_over_rate (double)
with committed as (
    select i.team, coalesce(i.points_start, i.points_end) as points, i.status
    from sprint_items i
    join teams t using (team)
    where i.committed
      and i.status <> 'removed'
      and coalesce(i.points_start, i.points_end) is not null
      and ($1::varchar is null or i.team = $1::varchar)
      and ($2::varchar is null or t.program = $2::varchar)
),
final as (
    select
        team,
        points,
        count(*) as committed_items,
        count(*) filter (where status = 'not_done') as carried_items,
        count(*) filter (where status = 'not_done') / count(*) as carry_over_rate
    from committed
    group by team, points
)
select * from final order by team, points
