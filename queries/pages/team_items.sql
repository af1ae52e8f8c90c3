-- team_items: every sprint item of one team with its story's title and cycle time, sprints in
-- calendar order.
-- parameters: $1 = team
-- columns: sprint_id, start_date (date, NULL for a sprint known only from a summary), story,
--          title, status, committed (boolean, NULL when unknown), points (double: points at
--          the end, else at the start, else the story's estimate), cycle_days (double:
--          completed_at - started_at in days, NULL when either is unknown)
with items as (
    select i.*, s.start_date
    from sprint_items i
    left join sprints s on s.team = i.team and s.sprint_id = i.sprint_id
    where i.team = $1::varchar
),
final as (
    select
        i.sprint_id,
        i.start_date,
        i.story,
        st.title,
        i.status,
        i.committed,
        coalesce(i.points_end, i.points_start, st.estimate) as points,
        epoch(i.completed_at - i.started_at) / 86400.0 as cycle_days
    from items i
    left join stories st on st.team = i.team and st.story = i.story
)
select * from final
order by start_date nulls last, sprint_sort_key(sprint_id), story
