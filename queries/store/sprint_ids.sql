-- sprint_ids: every team's sprints in calendar order: those of the sprints file by their start,
-- then those known only from sprint items (no sprints row), by id.
-- parameters: none
-- columns: team, sprint_id, start_date (NULL for a sprint known only from its items)
with item_only as (
    select distinct i.team, i.sprint_id, null::date as start_date
    from sprint_items i
    where not exists (
        select 1 from sprints s where s.team = i.team and s.sprint_id = i.sprint_id)
),
final as (
    select team, sprint_id, start_date from sprints
    union all
    select team, sprint_id, start_date from item_only
)
select * from final order by team, start_date nulls last, sprint_id
