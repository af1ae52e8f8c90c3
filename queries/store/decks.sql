-- decks: every team's deck, cards in order.
-- parameters: none
-- columns: team, deck, card, value (double), position (integer, the step k)
with final as (
    select team, deck, card, value, position from decks
)
select * from final order by team, position
