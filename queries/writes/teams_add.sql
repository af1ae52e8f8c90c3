-- teams_add: adds the teams a file names that the store does not have yet, with the program
-- the file or --program gives them.
-- parameters: $named = the file's teams, a table of (team, program)
insert into teams
select n.team, null, n.program
from $named n
where not exists (select 1 from teams t where t.team = n.team)
