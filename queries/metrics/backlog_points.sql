-- backlog_points: per team, the remaining backlog as of a day: estimated stories created by then
-- (or with no creation time) and not done by then.
-- parameters: $1 = team (NULL for every team), $2 = program (NULL for every program),
--             $3 = as of (date; NULL: today's state)
-- columns: team, stories (bigint), points (double)
-- A story is done by the day when a sprint item of it is done and was completed by then (its
-- completion time, else its sprint's end; an item with neither counts as done).
with done_by_then as (
    select distinct i.team, i.story
    from sprint_items i
    left join sprints sp on sp.team = i.team and sp.sprint_id = i.sprint_id
    where i.status = 'done'
      and ($3::date is null
           or coalesce(i.completed_at::date, sp.end_date) is null
           or coalesce(i.completed_at::date, sp.end_date) <= $3::date)
),
open_stories as (
    select s.team, s.estimate
    from stories s
    where s.estimate is not null
      and ($3::date is null or s.created_at is null or s.created_at::date <= $3::date)
      and not exists (
          select 1 from done_by_then d where d.team = s.team and d.story = s.story)
),
final as (
    select o.team, count(*) as stories, sum(o.estimate) as points
    from open_stories o
    join teams t using (team)
    where ($1::varchar is null or o.team = $1::varchar)
      and ($2::varchar is null or t.program = $2::varchar)
    group by o.team
)
select * from final order by team
