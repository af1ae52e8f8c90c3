-- round_count: how many Planning Poker rounds the store keeps (the most a report can show).
-- parameters: none
-- columns: rounds (bigint)
with final as (
    select count(*) as rounds from round_stats
)
select * from final
