-- latest_sprints: each team's latest sprint (by start date), for the teams index.
-- parameters: none
-- columns: team, sprint_id, title (the sprint's name, else its id)
with latest as (
    select
        team,
        arg_max(sprint_id, start_date) as sprint_id,
        arg_max(coalesce(name, sprint_id), start_date) as title
    from sprints
    group by team
),
final as (
    select * from latest
)
select * from final order by team
