-- team_card: one team's display name and program.
-- parameters: $1 = team
-- columns: team, name (the key when the team has no display name), program
with chosen as (
    select team, coalesce(name, team) as name, program
    from teams
    where team = $1::varchar
),
final as (
    select * from chosen
)
select * from final
