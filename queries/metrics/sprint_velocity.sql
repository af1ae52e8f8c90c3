-- sprint_velocity: points committed, added, removed and completed per team and sprint, from
-- sprint items where a team has them, else from sprint summaries.
-- parameters: $1 = team (NULL for every team), $2 = program (NULL for every program),
--             $3 = as-of date (a sprint ending on or after it is active, not closed)
-- columns: team, program, sprint_id, sprint_name, start_date (NULL for summaries),
--          end_date, source ('items' | 'summary'), closed (boolean),
--          committed, added, removed, completed, completed_of_committed (double; NULL = unknown),
--          committed_items, carry_over_items, unestimated_items (bigint; NULL for summaries),
--          sprint_order (bigint: the sprint's place in the team's history, 1 = first)
-- Unknown stays unknown: when an item's committed flag is unknown, committed, added,
-- completed_of_committed and carry_over_items of its sprint are NULL.
with item_sums as (
    select
        team,
        sprint_id,
        bool_or(committed is null) as commitment_unknown,
        bool_or(removed is null) as removal_unknown,
        sum(coalesce(points_start, points_end)) filter (where committed) as committed,
        sum(points_end) filter (where committed = false) as added,
        sum(coalesce(points_start, points_end)) filter (where removed) as removed,
        sum(points_end) filter (where status = 'done') as completed,
        sum(coalesce(points_start, points_end)) filter (where committed and status = 'done')
            as completed_of_committed,
        count(*) filter (where committed) as committed_items,
        count(*) filter (where committed and status = 'not_done') as carry_over_items,
        count(*) filter (where points_end is null and coalesce(points_start, -1) < 0) as unestimated_items
    from sprint_items
    -- The team filter here too, so one team's page does not aggregate every team.
    where ($1::varchar is null or team = $1::varchar)
    group by team, sprint_id
),
from_items as (
    select
        i.team,
        i.sprint_id,
        s.name as sprint_name,
        s.start_date,
        s.end_date,
        'items' as source,
        case when i.commitment_unknown then null else coalesce(i.committed, 0) end as committed,
        case when i.commitment_unknown then null else coalesce(i.added, 0) end as added,
        -- Exports do not tell which items left a sprint: unknown, not zero.
        case when i.removal_unknown then null else coalesce(i.removed, 0) end as removed,
        coalesce(i.completed, 0) as completed,
        case when i.commitment_unknown then null else coalesce(i.completed_of_committed, 0) end
            as completed_of_committed,
        case when i.commitment_unknown then null else i.committed_items end as committed_items,
        case when i.commitment_unknown then null else i.carry_over_items end as carry_over_items,
        i.unestimated_items
    from item_sums i
    left join sprints s using (team, sprint_id)
),
from_summaries as (
    select
        m.team,
        m.sprint_id,
        coalesce(m.sprint_name, s.name) as sprint_name,
        s.start_date,
        s.end_date,
        'summary' as source,
        m.committed_points as committed,
        m.added_points as added,
        m.removed_points as removed,
        m.completed_points as completed,
        null::double as completed_of_committed,
        null::bigint as committed_items,
        null::bigint as carry_over_items,
        null::bigint as unestimated_items
    from sprint_summaries m
    left join sprints s using (team, sprint_id)
    where ($1::varchar is null or m.team = $1::varchar)
      and not exists (select 1 from item_sums i where i.team = m.team and i.sprint_id = m.sprint_id)
),
unioned as (
    select * from from_items
    union all
    select * from from_summaries
),
final as (
    select
        u.team,
        t.program,
        u.sprint_id,
        u.sprint_name,
        u.start_date,
        u.end_date,
        u.source,
        (u.end_date is null or u.end_date < $3::date) as closed,
        u.committed,
        u.added,
        u.removed,
        u.completed,
        u.completed_of_committed,
        u.committed_items,
        u.carry_over_items,
        u.unestimated_items,
        row_number() over (
            partition by u.team
            -- Without dates (exports), by name with its last number read as a number:
            -- "Sprint 2" before "Sprint 10" (queries/schema/macros.sql).
            order by u.start_date nulls last, sprint_sort_key(u.sprint_id)
        ) as sprint_order
    from unioned u
    join teams t using (team)
    where ($1::varchar is null or u.team = $1::varchar)
      and ($2::varchar is null or t.program = $2::varchar)
)
select * from final order by team, sprint_order
