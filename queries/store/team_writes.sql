-- team_writes: per team, the generation of the last write to its rows.
-- parameters: none
-- columns: team, generation
with final as (
    select team, max(generation) as generation from team_writes group by team
)
select * from final order by team
