-- kept_report_insert: keeps a report (after kept_report_delete of its kind and subject).
-- parameters: $1 = kind, $2 = subject, $3 = as_of, $4 = generation, $5 = fingerprint,
--             $6 = computed_at, $7 = body
insert into kept_reports values ($1, $2, $3, $4, $5, $6, $7)
