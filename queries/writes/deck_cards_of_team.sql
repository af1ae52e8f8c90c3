-- deck_cards_of_team: how many cards the store holds for one team's deck.
-- parameters: $1 = team
select count(*) from decks where team = $1::varchar
