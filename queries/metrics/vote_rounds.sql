-- vote_rounds: every vote with its card's step k(x) in the team's deck, and the story's
-- final estimate; the spread and consensus metrics are computed from these rows in Rust.
-- parameters: $1 = team (NULL for every team), $2 = program (NULL for every program),
--             $3 = sprint id (NULL: every story; else only stories of that sprint's items),
--             $4 = since (NULL, or only votes cast on or after this day)
-- columns: team, session, story, round (integer), voter, card, value (double, NULL for
--          ? ☕ ∞ pass), step (integer, NULL when not numeric), estimate (double: the story's
--          final estimate, NULL when unknown)
with chosen as (
    select v.*
    from votes v
    join teams t using (team)
    where ($1::varchar is null or v.team = $1::varchar)
      and ($2::varchar is null or t.program = $2::varchar)
      and ($3::varchar is null or exists (
            select 1 from sprint_items i
            where i.team = v.team and i.story = v.story and i.sprint_id = $3::varchar))
      and ($4::date is null or v.voted_at >= $4::date)
),
final as (
    select c.team, c.session, c.story, c.round, c.voter, c.card, c.value,
           d.position as step, s.estimate
    from chosen c
    left join decks d on d.team = c.team and d.card = c.card
    left join stories s on s.team = c.team and s.story = c.story
)
select * from final order by team, story, session, round, voter
