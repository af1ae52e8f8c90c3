-- info_teams: what the store holds, one row per team. A sprint counts once whether the
-- sprints file has it or only its sprint items or summary name it (imports without dates).
-- parameters: none
-- columns: team, name, program, sprints, stories, votes, sprint_items, sprint_summaries,
--          first_day (date), last_day (date)
with sprint_ids as (
    select team, sprint_id from sprints
    union
    select team, sprint_id from sprint_items
    union
    select team, sprint_id from sprint_summaries
),
sprint_counts as (select team, count(*) as sprints from sprint_ids group by team),
sprint_days as (
    select team, min(start_date) as first_day, max(end_date) as last_day
    from sprints group by team
),
story_stats as (select team, count(*) as stories from stories group by team),
vote_stats as (
    select team, count(*) as votes,
           min(voted_at)::date as first_vote, max(voted_at)::date as last_vote
    from votes group by team
),
item_stats as (select team, count(*) as sprint_items from sprint_items group by team),
summary_stats as (select team, count(*) as sprint_summaries from sprint_summaries group by team),
final as (
    select
        t.team,
        coalesce(t.name, t.team) as name,
        t.program,
        coalesce(sc.sprints, 0) as sprints,
        coalesce(st.stories, 0) as stories,
        coalesce(v.votes, 0) as votes,
        coalesce(i.sprint_items, 0) as sprint_items,
        coalesce(su.sprint_summaries, 0) as sprint_summaries,
        least(sp.first_day, v.first_vote) as first_day,
        greatest(sp.last_day, v.last_vote) as last_day
    from teams t
    left join sprint_counts sc using (team)
    left join sprint_days sp using (team)
    left join story_stats st using (team)
    left join vote_stats v using (team)
    left join item_stats i using (team)
    left join summary_stats su using (team)
)
select * from final order by program nulls last, team
