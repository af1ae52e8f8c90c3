-- sprint_history: for each sprint of a team whose stories have sprint events, the events of
-- those stories (the sprint's adds and removals, and every story-level change: status,
-- estimate, done, reopened, in any sprint), for the sprint's day-by-day scope and done.
-- parameters: $1 = team
-- columns: sprint_id, t0 (timestamp: started_at, else start_date), t1 (timestamp: closed_at,
--   else the end of end_date), end_date (date, planned), closed_at (timestamp), story, title,
--   estimate, event_sprint, changed_at, event, points, old_points, category
-- order: sprint start, sprint, story, time, event
with win as (
    select sprint_id, start_date, end_date, closed_at,
           coalesce(started_at, start_date::timestamp) as t0,
           coalesce(closed_at, end_date::timestamp + interval 1 day - interval 1 microsecond) as t1
    from sprints
    where team = $1::varchar
),
members as (
    select distinct e.sprint_id, e.story
    from sprint_events e
    where e.team = $1::varchar and e.event in ('added', 'removed')
),
final as (
    select w.sprint_id, w.t0, w.t1, w.end_date, w.closed_at, m.story, st.title, st.estimate,
           e.sprint_id as event_sprint, e.changed_at, e.event, e.points, e.old_points, e.category
    from members m
    join win w on w.sprint_id = m.sprint_id
    join sprint_events e on e.team = $1::varchar and e.story = m.story
    left join stories st on st.team = $1::varchar and st.story = m.story
    where e.sprint_id in ('', m.sprint_id) or e.event not in ('added', 'removed')
    order by w.start_date, w.sprint_id, m.story, e.changed_at, e.event
)
select * from final
