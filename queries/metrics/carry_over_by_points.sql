-- carry_over_by_points: per team and point value, how often committed items were not done,
-- and how often they overran (not done, or done after longer than their sprint lasts).
-- parameters: $1 = team (NULL for every team), $2 = program (NULL for every program)
-- columns: team, points (double, points at the start), committed_items (bigint),
--          carried_items (bigint), carry_over_rate (double), overran_items (bigint: carried
--          over, or done with a cycle time longer than the sprint's days, first to last day)
with committed as (
    select
        i.team,
        coalesce(i.points_start, i.points_end) as points,
        i.status,
        i.status = 'done'
            and epoch(i.completed_at - i.started_at) / 86400.0
                > datediff('day', s.start_date, s.end_date) + 1 as took_longer
    from sprint_items i
    join teams t using (team)
    left join sprints s on s.team = i.team and s.sprint_id = i.sprint_id
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
        count(*) filter (where status = 'not_done') / count(*) as carry_over_rate,
        count(*) filter (where status = 'not_done' or coalesce(took_longer, false)) as overran_items
    from committed
    group by team, points
)
select * from final order by team, points
