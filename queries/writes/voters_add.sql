-- voters_add: the voters of the incoming votes the store has not seen yet.
-- parameters: $incoming = the incoming votes (a table of the votes table's columns)
insert into voters
select distinct i.team, i.voter
from $incoming i
where not exists (select 1 from voters v where v.team = i.team and v.voter = i.voter)
