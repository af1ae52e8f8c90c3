-- macros: expressions several queries share. Created on every connection as temporary macros
-- (they belong to the build that runs, not to the database file).
-- sprint_sort_key(sprint_id): how sprints without dates (exports) are ordered: by the id with
-- its digits removed, then by its last number read as a number ("Sprint 2" before
-- "Sprint 10"; ids without a number after those with one), then by the id itself.
create or replace temp macro sprint_sort_key(sprint_id) as {
    'stem': regexp_replace(sprint_id, '[0-9]+', '', 'g'),
    'no_number': try_cast(regexp_extract(sprint_id, '([0-9]+)[^0-9]*$', 1) as bigint) is null,
    'number': coalesce(try_cast(regexp_extract(sprint_id, '([0-9]+)[^0-9]*$', 1) as bigint), 0),
    'id': sprint_id
};
