-- teams: every team with its program.
-- parameters: none
-- columns: team, program
with final as (
    select team, program from teams
)
select * from final order by team
