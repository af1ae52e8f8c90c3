-- 006_sprint_events: sprint history by the event, and when each sprint was started and closed.
-- An event is one change to a story, with its time: added to a sprint or removed from it, its
-- estimate changed, its status changed, done or reopened. Where a sprint's stories have events,
-- their sprint_items rows follow from them (queries/writes/items_from_events.sql); elsewhere the
-- rows stay as the files gave them.
alter table sprints add column if not exists started_at timestamp; -- the commitment is the scope then; NULL: start_date's first moment
alter table sprints add column if not exists closed_at timestamp;  -- NULL: open, or closed at the end of end_date

create table if not exists sprint_events (
    team        varchar   not null,
    sprint_id   varchar   not null, -- '' for a story's own events (status, estimate) outside a sprint's scope
    story       varchar   not null,
    changed_at  timestamp not null,
    event       varchar   not null, -- added | removed | estimate | status | done | reopened
    points      double,             -- the story's points after the event (estimate: the new value)
    old_points  double,             -- estimate: the value before
    from_status varchar,            -- status: the status before
    to_status   varchar,            -- status: the status after
    category    varchar             -- status: to_status's category: todo | in_progress | done
);

-- Where each synced source stands (`sprintlens sync jira`): written in the same transaction as
-- the data it fetched, so a run that fails part-way leaves the last good state.
create table if not exists sync_state (
    source    varchar   not null, -- e.g. 'jira https://example.atlassian.net board 12'
    state     varchar   not null, -- JSON: issues updated since, sprints synced after their close
    synced_at timestamp not null
);
