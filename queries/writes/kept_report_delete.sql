-- kept_report_delete: drops the kept report of a kind and subject (one day's report per
-- subject is kept; a new one replaces it).
-- parameters: $1 = kind, $2 = subject
delete from kept_reports where kind = $1 and subject = $2
