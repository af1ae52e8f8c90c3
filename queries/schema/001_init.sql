-- 001_init: the canonical store, version 1.
-- Natural keys (one row per key; ingest updates a row whose key it meets again):
--   teams(team) decks(team, card) sprints(team, sprint_id) stories(team, story)
--   votes(team, session, story, round, voter) sprint_items(team, sprint_id, story)
--   sprint_summaries(team, sprint_id)
-- NULL means unknown: a source that cannot tell a value leaves it NULL, never 0.
-- Keys are enforced by ingest (one merge per file), not by indexes: ART indexes on millions
-- of votes cost more memory than the merge.

create table if not exists meta (
    key   varchar not null,
    value varchar
);

create table if not exists teams (
    team    varchar not null,
    name    varchar,          -- display name; NULL shows the key
    program varchar           -- a group of teams for roll-ups
);

create table if not exists decks (
    team     varchar not null,
    position integer not null, -- the card's step k(x), 0-based
    card     varchar not null, -- as shown: 5, ½, XL
    value    double,           -- points
    deck     varchar not null  -- the deck's name
);

create table if not exists sprints (
    team       varchar not null,
    sprint_id  varchar not null,
    name       varchar,
    start_date date not null,
    end_date   date not null,
    goal       varchar
);

create table if not exists stories (
    team       varchar not null,
    story      varchar not null,
    title      varchar,
    type       varchar,
    epic       varchar,
    created_at timestamp,
    estimate   double           -- final estimate in points
);

create table if not exists votes (
    team     varchar not null,
    session  varchar not null, -- '' when the source names no session
    story    varchar not null,
    round    integer not null, -- 1, 2, ...
    voter    varchar not null,
    card     varchar not null, -- as shown, normalised: ½ ? ☕ ∞ pass XL 13
    value    double,           -- NULL for ? ☕ ∞ pass
    voted_at timestamp
);

create table if not exists sprint_items (
    team         varchar not null,
    sprint_id    varchar not null,
    story        varchar not null,
    committed    boolean,      -- in the sprint at its start; false = added later; NULL = unknown
    removed      boolean,
    points_start double,       -- NULL for added work or when unknown
    points_end   double,
    status       varchar not null, -- done | not_done | removed
    started_at   timestamp,
    completed_at timestamp,
    actual_hours double
);

create table if not exists sprint_summaries (
    team             varchar not null,
    sprint_id        varchar not null,
    sprint_name      varchar,
    planned_days     double,
    committed_points double not null,
    completed_points double not null,
    added_points     double,
    removed_points   double
);

create table if not exists ingest_log (
    id          integer not null,
    ingested_at timestamp not null,
    file        varchar not null,
    sha256      varchar not null,
    kind        varchar not null,
    rows        integer not null,
    inserted    integer not null,
    updated     integer not null,
    removed     integer not null
);
