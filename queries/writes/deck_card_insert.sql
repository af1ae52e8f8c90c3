-- deck_card_insert: one card of a team's default deck.
-- parameters: $1 = team, $2 = position, $3 = card, $4 = value, $5 = deck
insert into decks values ($1, $2, $3, $4, $5)
