-- 005_rooms: estimation rooms (Planning Poker hosted by sprintlens), kept so that a room
-- survives a restart of the server: its whole state (participants, stories, the round being
-- played with the cards picked so far, revealed rounds, decisions) as JSON. The rounds a room
-- reveals are stored as votes like any other (session = the room's session); this table holds
-- what is not yet a round, and the room's own record of the session.
create table if not exists rooms (
    room      varchar   not null, -- SHA-256 of the link's secret (the secret itself is not kept)
    team      varchar   not null,
    session   varchar   not null, -- the votes' session of the rounds it reveals
    title     varchar   not null,
    opened_at timestamp not null,
    closed_at timestamp,          -- NULL while the room is open
    version   bigint    not null, -- raised by every change
    state     varchar   not null  -- the room as JSON
);
