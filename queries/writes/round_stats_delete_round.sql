-- round_stats_delete_round: drops the figures of one round (the live round writer recomputes a
-- round an event changed).
-- parameters: $1 = team, $2 = session, $3 = story, $4 = round
delete from round_stats
where team = $1 and session = $2 and story = $3 and round = $4
