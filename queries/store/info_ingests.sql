-- info_ingests: the most recent ingests, newest first.
-- parameters: $1 = how many
-- columns: id, ingested_at, file, sha256, kind, rows, inserted, updated, removed
with final as (
    select id, ingested_at, file, sha256, kind, rows, inserted, updated, removed
    from ingest_log
)
select * from final order by id desc limit ?
