-- teams_program: sets the program of the teams a file names where the file or --program gives
-- one.
-- parameters: $named = the file's teams, a table of (team, program)
update teams set program = n.program
from $named n
where teams.team = n.team
  and n.program is not null
  and teams.program is distinct from n.program
