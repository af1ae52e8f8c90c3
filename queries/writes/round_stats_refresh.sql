-- round_stats_refresh: recomputes every round of the stories in the temporary table
-- touched_stories(team, session, story) from their votes as they will be once the ingest's
-- incoming votes are merged: the stored votes the incoming ones do not replace, and the
-- incoming ones. It runs before the incoming votes are written (DuckDB scans them straight from
-- the checked frames, on every core) and after the ingest's decks, so steps are the decks' now.
-- The figures are round_stats_compute.sql's. Rows go in in team order (with insertion order
-- kept), so that a team's rounds sit together in the file and a one-team query reads only theirs.
-- parameters: $incoming = the incoming votes (a table of the votes table's columns, each key
--             once), the temporary table touched_stories, and the compute query (the figures
--             of round_stats_compute.sql over `merged`, the votes as they will be)
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
merged as (
    select * from stored union all select * from incoming
)
select * from ($compute) c order by team, story, session, round;
