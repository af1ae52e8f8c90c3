-- room_delete: drops what is kept of a room (room_insert keeps its new state).
-- parameters: $1 = room
delete from rooms where room = $1
