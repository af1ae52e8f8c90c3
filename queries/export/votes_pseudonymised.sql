-- votes_pseudonymised: the votes table with each voter as the reports name them ("voter 3"),
-- for an export without names.
-- parameters: $pseudonyms = a table (team, voter, pseudonym) of every stored voter
-- columns: the votes table's
with final as (
    select v.* replace (coalesce(p.pseudonym, v.voter) as voter)
    from votes v
    left join $pseudonyms p on p.team = v.team and p.voter = v.voter
)
select * from final
