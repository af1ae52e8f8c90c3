-- items_from_events: the sprint_items rows that follow from the sprint events, for the teams in
-- $teams (a table of (team)). One definition, for every source of events:
--   a sprint runs from t0 = its started_at (else start_date's first moment) to t1 = its
--   closed_at (else the end of end_date);
--   a story is in the sprint at time t when its last added/removed event for that sprint at or
--   before t is `added`; it has a row when it was in the sprint at t0 or was added in (t0, t1];
--   committed = in the sprint at t0; removed = not in it at t1 (punted);
--   its points at time t = the points of its last event at or before t that gives points (any
--   sprint), else the points before its first later change, else the story's estimate;
--   points_start = the points at t0 (committed stories only); points_end = the points at t1, or
--   when it was removed;
--   done at time t = its last done/reopened event, or status change with a category, at or
--   before t is `done` or a status in the done category;
--   status = removed | done (in the sprint and done at t1) | not_done;
--   completed_at = when it last became done, at or before t1 (done stories only);
--   started_at = its first change into a status of the in_progress or done category (or its
--   first done), if that was by t1.
-- Rows of stories a sprint's events never mention stay as they are; actual_hours are kept.
-- parameters: $teams = a table (team) of the teams whose events or sprints were written
create or replace temp table derived_items as
with ev as (
    select * exclude (changed_at), changed_at as ts from sprint_events where team in (select team from $teams)
),
win as (
    select team, sprint_id,
           coalesce(started_at, start_date::timestamp) as t0,
           coalesce(closed_at, end_date::timestamp + interval 1 day - interval 1 microsecond) as t1
    from sprints
    where team in (select team from $teams)
),
moves as (
    select e.team, e.sprint_id, e.story, e.ts, e.event, w.t0, w.t1
    from ev e join win w using (team, sprint_id)
    where e.event in ('added', 'removed')
),
member as (
    select team, sprint_id, story, any_value(t0) as t0, any_value(t1) as t1,
           coalesce(arg_max(event, ts) filter (where ts <= t0) = 'added', false) as in_at_start,
           coalesce(arg_max(event, ts) filter (where ts <= t1) = 'added', false) as in_at_close,
           coalesce(bool_or(event = 'added' and ts > t0 and ts <= t1), false) as added_during,
           max(ts) filter (where event = 'removed' and ts > t0 and ts <= t1) as removed_at
    from moves
    group by team, sprint_id, story
),
pts as (
    select team, story, ts, points, coalesce(old_points, points) as before
    from ev
    where points is not null
),
doneness as (
    select team, story, ts,
           event = 'done' or (event = 'status' and category = 'done') as is_done
    from ev
    where event in ('done', 'reopened') or (event = 'status' and category is not null)
),
became_done as (
    select team, story, ts
    from (
        select *, lag(is_done) over (partition by team, story order by ts) as was_done
        from doneness
    )
    where is_done and not coalesce(was_done, false)
),
first_started as (
    select team, story, min(ts) as ts
    from ev
    where category in ('in_progress', 'done') or event = 'done'
    group by team, story
),
scoped as (
    select m.*, coalesce(m.removed_at, m.t1) as t_end
    from member m
    where m.in_at_start or m.added_during
),
figures as (
    select s.team, s.sprint_id, s.story, s.in_at_start, s.in_at_close,
           coalesce(
               (select arg_max(p.points, p.ts) from pts p
                where p.team = s.team and p.story = s.story and p.ts <= s.t0),
               (select arg_min(p.before, p.ts) from pts p
                where p.team = s.team and p.story = s.story and p.ts > s.t0),
               st.estimate) as p0,
           coalesce(
               (select arg_max(p.points, p.ts) from pts p
                where p.team = s.team and p.story = s.story and p.ts <= s.t_end),
               (select arg_min(p.before, p.ts) from pts p
                where p.team = s.team and p.story = s.story and p.ts > s.t_end),
               st.estimate) as p1,
           coalesce(
               (select arg_max(d.is_done, d.ts) from doneness d
                where d.team = s.team and d.story = s.story and d.ts <= s.t1),
               false) as done_at_close,
           (select max(b.ts) from became_done b
            where b.team = s.team and b.story = s.story and b.ts <= s.t1) as done_at,
           (select f.ts from first_started f
            where f.team = s.team and f.story = s.story and f.ts <= s.t1) as started
    from scoped s
    left join stories st on st.team = s.team and st.story = s.story
)
select f.team, f.sprint_id, f.story,
       f.in_at_start as committed,
       not f.in_at_close as removed,
       case when f.in_at_start then f.p0 end as points_start,
       f.p1 as points_end,
       case when not f.in_at_close then 'removed'
            when f.done_at_close then 'done'
            else 'not_done' end as status,
       coalesce(f.started, i.started_at) as started_at,
       case when f.in_at_close and f.done_at_close then coalesce(f.done_at, i.completed_at) end
           as completed_at,
       i.actual_hours
from figures f
left join sprint_items i
    on i.team = f.team and i.sprint_id = f.sprint_id and i.story = f.story;

delete from sprint_items i
where i.team in (select team from $teams)
  and exists (
      select 1 from sprint_events e
      where e.team = i.team and e.sprint_id = i.sprint_id and e.story = i.story
        and e.event in ('added', 'removed'));

insert into sprint_items select * from derived_items;

drop table derived_items;
