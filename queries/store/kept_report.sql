-- kept_report: a kept report, when one is kept for this kind, subject and day.
-- parameters: $1 = kind, $2 = subject, $3 = as_of
-- columns: generation, fingerprint, body
with final as (
    select generation, fingerprint, body
    from kept_reports
    where kind = $1 and subject = $2 and as_of = $3
)
select * from final
