-- votes_revalue: a team's stored votes take the points its (new) deck gives their card, so a
-- T-shirt mapping changed by a decks file changes the votes too.
-- parameters: $1 = team
update votes set value = d.value
from decks d
where votes.team = $1::varchar
  and d.team = votes.team
  and d.card = votes.card
  and votes.value is distinct from d.value
