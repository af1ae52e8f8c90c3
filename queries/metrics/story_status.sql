-- story_status: the stories of the chosen teams a split list checks, with title, final
-- estimate, whether it was ever done, and whether it is in the chosen sprint: without a sprint
-- the backlog (never done), with one the sprint's stories.
-- parameters: $1 = team (NULL for every team), $2 = program (NULL for every program),
--             $3 = sprint id (NULL: the backlog; in_sprint is false for all)
-- columns: team, story, title, estimate (double: the story's final estimate, else its
--          largest points at a sprint's end), done (boolean), in_sprint (boolean)
with chosen_teams as (
    select team from teams
    where ($1::varchar is null or team = $1::varchar)
      and ($2::varchar is null or program = $2::varchar)
),
-- Every table is narrowed to the chosen teams before it is joined: one team's page reads its
-- own rows, not a hash table of every team's. A story with votes has rounds (round_stats).
keys as (
    select team, story from stories where team in (select team from chosen_teams)
    union
    select team, story from round_stats where team in (select team from chosen_teams)
    union
    select team, story from sprint_items where team in (select team from chosen_teams)
),
items as (
    select * from sprint_items where team in (select team from chosen_teams)
),
item_flags as (
    select
        team,
        story,
        max(points_end) as item_points,
        bool_or(status = 'done') as done,
        bool_or(sprint_id = $3::varchar) as in_sprint
    from items
    group by team, story
),
status as (
    select
        k.team,
        k.story,
        s.title,
        coalesce(s.estimate, f.item_points) as estimate,
        coalesce(f.done, false) as done,
        coalesce(f.in_sprint, false) as in_sprint
    from keys k
    left join (select * from stories where team in (select team from chosen_teams)) s
        on s.team = k.team and s.story = k.story
    left join item_flags f on f.team = k.team and f.story = k.story
),
-- Only the stories checked: done stories and other sprints' are no candidates (at 200 teams
-- that is 145,000 rows read into memory for 20,000).
final as (
    select * from status
    where case when $3::varchar is null then not done else in_sprint end
)
select * from final order by team, story
