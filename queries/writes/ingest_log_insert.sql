-- ingest_log_insert: one file's line in the ingest log.
-- parameters: $1 = id, $2 = ingested_at, $3 = file, $4 = sha256, $5 = kind, $6 = rows,
--             $7 = inserted, $8 = updated, $9 = removed
insert into ingest_log values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
