-- team_decks: the cards of every team's deck in order.
-- parameters: none
-- columns: team, position (integer, the step k), card, value (double)
with final as (
    select team, position, card, value from decks
)
select * from final order by team, position
