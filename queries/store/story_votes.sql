-- story_votes: every stored vote of one story, all rounds (the live round writer compares a
-- round event with them and computes the round's figures from them).
-- parameters: $1 = team, $2 = session, $3 = story
-- columns: round, voter, card, value, voted_at, last_round_only
with final as (
    select round, voter, card, value, voted_at, last_round_only
    from votes
    where team = $1 and session = $2 and story = $3
)
select * from final order by round, voter
