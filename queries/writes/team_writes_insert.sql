-- team_writes_insert: the teams an ingest wrote are last written at its generation.
-- parameters: $teams = a table (team) of the teams written, $1 = the ingest's generation
insert into team_writes select distinct team, $1::bigint from $teams
