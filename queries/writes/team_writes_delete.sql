-- team_writes_delete: the teams an ingest wrote lose their last-written mark (team_writes_insert
-- sets the new one).
-- parameters: $teams = a table (team) of the teams written
delete from team_writes where team in (select team from $teams)
