-- team_voters: every voter of the chosen teams (pseudonyms number a team's voters, so that a
-- voter is the same "voter N" in every report of the team).
-- parameters: $1 = team (NULL for every team), $2 = program (NULL for every program)
-- columns: team, voter
with final as (
    select v.team, v.voter
    from voters v
    join teams t using (team)
    where ($1::varchar is null or v.team = $1::varchar)
      and ($2::varchar is null or t.program = $2::varchar)
)
select * from final order by team, voter
