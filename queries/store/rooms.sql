-- rooms: every estimation room kept, oldest first.
-- parameters: none
-- columns: room, team, session, title, opened_at, closed_at, version, state
with final as (
    select room, team, session, title, opened_at, closed_at, version, state
    from rooms
)
select * from final order by opened_at, room
