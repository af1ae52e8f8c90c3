-- story_cards: the cards played in every round of one team's stories, lowest first; no voter
-- names (pages show who voted only through the pseudonymised calibration).
-- parameters: $1 = team
-- columns: story, session, round (integer), card, numeric (boolean: the card has a value)
with chosen as (
    select story, session, round, card, value
    from votes
    where team = $1::varchar
),
final as (
    select story, session, round, card, value is not null as numeric
    from chosen
    order by story, session, round, value nulls last, card
)
select * from final
