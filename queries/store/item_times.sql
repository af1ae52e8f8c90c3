-- item_times: the stored sprint items with a start or completion time, to check an ingest's
-- items against (an item must not be completed before it started, whichever file or earlier
-- ingest gave each time).
-- parameters: none
-- columns: team, sprint_id, story, started_at (timestamp), completed_at (timestamp)
with final as (
    select team, sprint_id, story, started_at, completed_at
    from sprint_items
    where started_at is not null or completed_at is not null
)
select * from final order by team, sprint_id, story
