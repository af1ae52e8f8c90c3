-- 004_kept_reports: what the pages read, kept in the store so that a page after a restart is
-- read, not computed; and, per team, the generation of the last write to its rows, so that a
-- kept report of a team is known to be current while other teams are written.
-- A kept report is current when it is of the day asked for, of its team's generation (the
-- dashboard: of the store's), and made by the same build with the same settings
-- (fingerprint). The store's one writer keeps both; reports are recomputed when they are not.
create table if not exists team_writes (
    team       varchar not null,
    generation bigint  not null  -- the ingest (ingest log id) that last wrote the team's rows
);

-- Every team was last written at or before the store's generation.
insert into team_writes
select t.team, (select coalesce(max(id), 0) from ingest_log)
from teams t;

create table if not exists kept_reports (
    kind        varchar   not null, -- 'team' or 'dashboard'
    subject     varchar   not null, -- the team; the program, '' for every team's dashboard
    as_of       date      not null, -- the day the report is for
    generation  bigint    not null, -- the team's (dashboard: the store's) generation it is of
    fingerprint varchar   not null, -- the build and settings it was computed with
    computed_at timestamp not null,
    body        blob      not null  -- the report as deflate-compressed JSON
);
