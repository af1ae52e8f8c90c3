-- story_status: every story of the chosen teams with its title, final estimate, whether it
-- was ever done, and whether it is in the chosen sprint.
-- parameters: $1 = team (NULL for every team), $2 = program (NULL for every program),
--             $3 = sprint id (NULL: in_sprint is false for all)
-- columns: team, story, title, estimate (double), done (boolean), in_sprint (boolean)
with keys as (
    select team, story from stories
    union
    select team, story from votes
    union
    select team, story from sprint_items
),
final as (
    select
        k.team,
        k.story,
        s.title,
        coalesce(s.estimate, (
            select max(i.points_end) from sprint_items i
            where i.team = k.team and i.story = k.story)) as estimate,
        exists (select 1 from sprint_items i
                where i.team = k.team and i.story = k.story and i.status = 'done') as done,
        exists (select 1 from sprint_items i
                where i.team = k.team and i.story = k.story and i.sprint_id = $3::varchar) as in_sprint
    from keys k
    join teams t using (team)
    left join stories s on s.team = k.team and s.story = k.story
    where ($1::varchar is null or k.team = $1::varchar)
      and ($2::varchar is null or t.program = $2::varchar)
)
select * from final order by team, story
