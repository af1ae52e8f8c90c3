-- vote_cards: per team and numeric card, how many stored votes use it and one story that has
-- them, to check a new deck against the votes already stored.
-- parameters: none
-- columns: team, card, votes (bigint), story
with final as (
    select team, card, count(*) as votes, min(story) as story
    from votes
    where value is not null
    group by team, card
)
select * from final order by team, card
