-- round_stats_compute: the figures of every round in $votes, a table of the votes table's
-- columns holding every vote of each round to compute as it will be stored. Steps are the
-- positions of the cards in the team's deck now. Per round: the votes, the numeric ones (a value
-- and a step in the deck), the `?` ones, the first vote's time, the numeric votes per step, and
-- the voters at the lowest and the highest step when they differ, in round 1 each numeric vote
-- (for calibrating voters), and whether the round came from a source that keeps only the last
-- round (schema 3); the values' figures (median, mode, mean, sd of log2) follow from the steps
-- and the deck. One pass over the votes. Used by an ingest (round_stats_refresh.sql) and by the
-- live round writer, which knows a round's votes without reading them back.
-- parameters: $votes = the votes of the rounds to compute
-- columns: the round_stats table's
with chosen as (
    select m.team, m.session, m.story, m.round, m.voter, m.card, m.voted_at,
           m.last_round_only,
           case when m.value is not null then d.position end as step
    from $votes m
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
select * from final
