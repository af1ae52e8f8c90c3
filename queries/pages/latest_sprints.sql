-- latest_sprints: each team's latest sprint, for the teams index: by start date among the
-- sprints file's sprints; a team whose sprints only its items or summaries name (imports
-- without dates) gets the last of those by the sprint sort key.
-- parameters: none
-- columns: team, sprint_id, title (the sprint's name, else its id)
with dated as (
    select
        team,
        arg_max(sprint_id, start_date) as sprint_id,
        arg_max(coalesce(name, sprint_id), start_date) as title
    from sprints
    group by team
),
named as (
    select team, sprint_id from sprint_items
    union
    select team, sprint_id from sprint_summaries
),
undated as (
    select team, arg_max(sprint_id, sprint_sort_key(sprint_id)) as sprint_id
    from named
    where team not in (select team from dated)
    group by team
),
final as (
    select team, sprint_id, title from dated
    union all
    select team, sprint_id, sprint_id as title from undated
)
select * from final order by team
