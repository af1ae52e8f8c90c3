-- story_flow: a team's stories' workflow history from the sprint events: every status change
-- (with its category), done and reopened, in time order; for cycle times, aging work,
-- throughput and the cumulative flow.
-- parameters: $1 = team
-- columns: story, title, created_at, changed_at, event, to_status, category
-- order: story, time, event
with final as (
    select e.story, st.title, st.created_at, e.changed_at, e.event, e.to_status, e.category
    from sprint_events e
    left join stories st on st.team = e.team and st.story = e.story
    where e.team = $1::varchar
      and (e.event in ('done', 'reopened') or (e.event = 'status' and e.category is not null))
    order by e.story, e.changed_at, e.event
)
select * from final
