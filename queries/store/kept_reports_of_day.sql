-- kept_reports_of_day: which reports are kept for a day, without their bodies.
-- parameters: $1 = kind, $2 = as_of
-- columns: subject, generation, fingerprint
with final as (
    select subject, generation, fingerprint
    from kept_reports
    where kind = $1 and as_of = $2
)
select * from final
