-- team_program: sets a team's program where a file or --program gives one.
-- parameters: $1 = team, $2 = program
update teams set program = $2::varchar
where team = $1::varchar and program is distinct from $2::varchar
