-- voters: every voter of every team (the live round writer adds a voter only when it is new).
-- parameters: none
-- columns: team, voter
with final as (
    select team, voter from voters
)
select * from final order by team, voter
