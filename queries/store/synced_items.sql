-- synced_items: a team's sprint items as they follow from its events, for the check against
-- the tracker's own sprint report.
-- parameters: $1 = the team
-- columns: sprint_id, story, committed, status
with final as (
    select sprint_id, story, committed, status
    from sprint_items
    where team = ?
    order by sprint_id, story
)
select * from final
