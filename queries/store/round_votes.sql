-- round_votes: the stored votes of one round of one story (a live round event is compared
-- with them to say what it inserts, updates or leaves as it was).
-- parameters: $1 = team, $2 = session, $3 = story, $4 = round
-- columns: voter, card, voted_at
with final as (
    select voter, card, voted_at
    from votes
    where team = $1 and session = $2 and story = $3 and round = $4
)
select * from final order by voter
