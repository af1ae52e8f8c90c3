-- last_sprint_end: the day the store's latest sprint ends (NULL without sprints).
-- parameters: none
-- columns: last_end
with final as (
    select max(end_date) as last_end from sprints
)
select * from final
