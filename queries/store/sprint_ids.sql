-- sprint_ids: every team's sprints with dates, in calendar order.
-- parameters: none
-- columns: team, sprint_id, start_date
with final as (
    select team, sprint_id, start_date from sprints
)
select * from final order by team, start_date
