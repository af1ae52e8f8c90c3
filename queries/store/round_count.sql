-- round_count: how many Planning Poker rounds the store keeps of a team, or of a program's
-- teams, or of every team (the most a spread report of them can show).
-- parameters: $1 = team (null: any), $2 = program (null: any)
-- columns: rounds (bigint)
with final as (
    select count(*) as rounds
    from round_stats r
    join teams t using (team)
    where ($1::varchar is null or r.team = $1::varchar)
      and ($2::varchar is null or t.program = $2::varchar)
)
select * from final
