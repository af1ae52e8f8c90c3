-- room_insert: keeps a room's state (after room_delete of it).
-- parameters: $1 = room, $2 = team, $3 = session, $4 = title, $5 = opened_at, $6 = closed_at,
--             $7 = version, $8 = state
insert into rooms values ($1, $2, $3, $4, $5, $6, $7, $8)
