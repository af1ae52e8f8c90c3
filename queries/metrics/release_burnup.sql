-- release_burnup: one team's backlog over its dated sprints up to a day: at each sprint's end,
-- the points done by then and the scope (done by then + estimated stories created by then and
-- not done by then).
-- parameters: $1 = team, $2 = as of (date: sprints that ended by then)
-- columns: sprint_id, name, end_date (date), done (double), scope (double)
-- Done points are the done item's points at its end (the first time the story was done); an
-- open story counts its estimate. A done item with no completion time is done at its sprint's
-- end.
with dated as (
    select sprint_id, name, end_date
    from sprints
    where team = $1::varchar and end_date <= $2::date
),
done as (
    select i.story,
           min(coalesce(i.completed_at::date, sp.end_date)) as done_day,
           arg_min(i.points_end, coalesce(i.completed_at::date, sp.end_date)) as points
    from sprint_items i
    join sprints sp on sp.team = i.team and sp.sprint_id = i.sprint_id
    where i.team = $1::varchar and i.status = 'done'
    group by i.story
),
estimated as (
    select story, estimate, created_at::date as created
    from stories
    where team = $1::varchar and estimate is not null
),
final as (
    select
        d.sprint_id,
        d.name,
        d.end_date,
        (select coalesce(sum(x.points), 0) from done x where x.done_day <= d.end_date) as done,
        (select coalesce(sum(x.points), 0) from done x where x.done_day <= d.end_date)
          + (select coalesce(sum(e.estimate), 0)
             from estimated e
             where (e.created is null or e.created <= d.end_date)
               and not exists (select 1 from done x
                               where x.story = e.story and x.done_day <= d.end_date)) as scope
    from dated d
)
select * from final order by end_date, sprint_sort_key(sprint_id)
