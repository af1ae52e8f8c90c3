-- story_status: every story of the chosen teams with its title, final estimate, whether it
-- was ever done, and whether it is in the chosen sprint.
-- parameters: $1 = team (NULL for every team), $2 = program (NULL for every program),
--             $3 = sprint id (NULL: in_sprint is false for all)
-- columns: team, story, title, estimate (double: the story's final estimate, else its
--          largest points at a sprint's end), done (boolean), in_sprint (boolean)
with keys as (
    select team, story from stories
    union
    select team, story from votes
    union
    select team, story from sprint_items
),
item_flags as (
    select
        team,
        story,
        max(points_end) as item_points,
        bool_or(status = 'done') as done,
        bool_or(sprint_id = $3::varchar) as in_sprint
    from sprint_items
    group by team, story
),
final as (
    select
        k.team,
        k.story,
        s.title,
        coalesce(s.estimate, f.item_points) as estimate,
        coalesce(f.done, false) as done,
        coalesce(f.in_sprint, false) as in_sprint
    from keys k
    join teams t using (team)
    left join stories s on s.team = k.team and s.story = k.story
    left join item_flags f on f.team = k.team and f.story = k.story
    where ($1::varchar is null or k.team = $1::varchar)
      and ($2::varchar is null or t.program = $2::varchar)
)
select * from final order by team, story
