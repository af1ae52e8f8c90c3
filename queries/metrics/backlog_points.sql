-- backlog_points: per team, the estimated stories not done in any sprint (the remaining backlog).
-- parameters: $1 = team (NULL for every team), $2 = program (NULL for every program)
-- columns: team, stories (bigint), points (double)
with open_stories as (
    select s.team, s.estimate
    from stories s
    where s.estimate is not null
      and not exists (
          select 1 from sprint_items i
          where i.team = s.team and i.story = s.story and i.status = 'done')
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
