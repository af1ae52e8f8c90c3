-- room_backlog: a team's stories that are not done (none of their sprint items is), with their
-- estimate (NULL: not estimated yet), newest first: what an estimation room picks from.
-- parameters: $1 = team
-- columns: story, title, estimate, created_at
with done as (
    select distinct story
    from sprint_items
    where team = $1::varchar and status = 'done'
),
final as (
    select s.story, s.title, s.estimate, s.created_at
    from stories s
    where s.team = $1::varchar
      and s.story not in (select story from done)
)
select * from final order by created_at desc nulls last, story
