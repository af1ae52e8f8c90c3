-- votes_revalue: the stored votes of the teams a decks file gives decks to take the points
-- their (new) deck gives their card, so a T-shirt mapping changed by a decks file changes the
-- votes too.
-- parameters: $teams = the file's teams, a table of (team)
update votes set value = d.value
from decks d
where votes.team in (select team from $teams)
  and d.team = votes.team
  and d.card = votes.card
  and votes.value is distinct from d.value
