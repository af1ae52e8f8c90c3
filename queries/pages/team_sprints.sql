-- team_sprints: every sprint of one team from the sprints file, recorded items or not, in
-- calendar order (a sprint planned but not yet worked on has a Sprint Review page too).
-- parameters: $1 = team
-- columns: sprint_id, name, start_date (date), end_date (date)
with chosen as (
    select sprint_id, name, start_date, end_date
    from sprints
    where team = $1::varchar
),
final as (
    select * from chosen
)
select * from final order by start_date, sprint_sort_key(sprint_id)
