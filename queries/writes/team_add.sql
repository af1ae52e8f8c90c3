-- team_add: adds a team a file names, unless the store has it.
-- parameters: $1 = team, $2 = program (NULL when none is given)
insert into teams
select $1::varchar, null, $2::varchar
where not exists (select 1 from teams where team = $1::varchar)
