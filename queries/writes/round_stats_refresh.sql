-- round_stats_refresh: recomputes every round of the stories in the temporary table
-- touched_stories(team, session, story) from their votes as they will be once the ingest's
-- incoming votes are merged: the stored votes the incoming ones do not replace, and the
-- incoming ones. It runs before the incoming votes are written (DuckDB scans them straight from
-- the checked frames, on every core) and after the ingest's decks, so steps are the decks' now.
-- Per round: the votes, the numeric ones (a value and a step in the deck), the `?` ones, the
-- first vote's time, the numeric votes per step, and the voters at the lowest and the highest
-- step when they differ, in round 1 each numeric vote (for calibrating voters), and whether the
-- round came from a source that keeps only the last round (schema 3); the values' figures (median, mode, mean, sd of log2) follow from the steps and the deck. One pass over
-- the votes. Rows go in in team order (with insertion order kept), so that a team's rounds sit
-- together in the file and a one-team query reads only theirs.
-- parameters: $incoming = the incoming votes (a table of the votes table's columns, each key
--             once), and the temporary table touched_stories
delete from round_stats r
using touched_stories t
where r.team = t.team and r.session = t.session and r.story = t.story;

insert into round_stats
with incoming as (
    select * from $incoming
),
stored as (
    select v.*
    from votes v
    join touched_stories t on t.team = v.team and t.session = v.session and t.story = v.story
    where not exists (
        select 1 from incoming i
        where i.team = v.team and i.session = v.session and i.story = v.story
          and i.round = v.round and i.voter = v.voter)
),
chosen as (
    select m.team, m.session, m.story, m.round, m.voter, m.card, m.voted_at,
           m.last_round_only,
           case when m.value is not null then d.position end as step
    from (select * from stored union all select * from incoming) m
    left join decks d on d.team = m.team and d.card = m.card
),
per_round as (
    select team, session, story, round,
           count(*)::integer as votes,
           (count(*) filter (where step is not null))::integer as numeric_votes,
           (count(*) filter (where card = '?'))::integer as question_votes,
           min(step) as min_step,
           max(step) as max_step,
           min(voted_at) as first_voted_at,
           bool_or(coalesce(last_round_only, false)) as last_round_only,
           coalesce(list({'step': step, 'voter': voter}) filter (where step is not null), [])
               as numeric
    from chosen
    group by all
),
final as (
    select team, session, story, round, votes, numeric_votes, question_votes,
           min_step, max_step,
           list_sort([{'step': e.key, 'votes': e.value::integer}
                      for e in map_entries(list_aggregate([x.step for x in numeric], 'histogram'))])
               as steps,
           first_voted_at,
           case when max_step > min_step
                then list_sort([x.voter for x in numeric if x.step = min_step]) else [] end
               as low_voters,
           case when max_step > min_step
                then list_sort([x.voter for x in numeric if x.step = max_step]) else [] end
               as high_voters,
           case when round = 1 then numeric end as round1_votes,
           last_round_only
    from per_round
)
select * from final order by team, story, session, round;
