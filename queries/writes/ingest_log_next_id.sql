-- ingest_log_next_id: the id the next ingest's first file gets.
-- parameters: none
select coalesce(max(id), 0) + 1 from ingest_log
