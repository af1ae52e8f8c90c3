-- story_keys: every story that has votes in the store (its rounds are in round_stats), once per
-- round (the reader keeps a set: finding the distinct keys here would cost more than reading
-- them). The live round writer keeps them, so that a round of a story it has not seen needs
-- no search of the votes when the story is new.
-- parameters: none
-- columns: team, session, story
-- order: none (a set)
with final as (
    select team, session, story from round_stats
)
select * from final
