-- 002_round_stats: the figures of every Planning Poker round (team, session, story, round),
-- kept so that reports read one row per round instead of every vote; and the voters of each
-- team. An ingest recomputes the
-- rounds of the stories it touches (and every story of a team whose deck it changes) in its own
-- transaction (queries/writes/round_stats_refresh.sql); this migration computes them for the
-- votes already stored. Steps are positions in the team's deck, k(x); a vote is numeric when it
-- has a value and a step. A round's values follow from its steps and the deck.
create table if not exists round_stats (
    team           varchar not null,
    session        varchar not null,
    story          varchar not null,
    round          integer not null,
    votes          integer not null, -- every vote cast
    numeric_votes  integer not null, -- votes with a value and a step in the deck
    question_votes integer not null, -- `?` votes
    min_step       integer,          -- k(min) and k(max) of the numeric votes
    max_step       integer,
    steps          struct(step integer, votes integer)[], -- numeric votes per step, by step
    first_voted_at timestamp,        -- the round's first vote (NULL when no vote has a time)
    low_voters     varchar[],        -- the voters at k(min) and at k(max) when they differ, sorted
    high_voters    varchar[],
    round1_votes   struct(step integer, voter varchar)[] -- round 1 only: each numeric vote, any order
);

-- Every voter of every team, for pseudonyms that are the same in every report of the team.
create table if not exists voters (
    team  varchar not null,
    voter varchar not null
);
