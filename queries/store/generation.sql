-- generation: the store's generation, the id of its last ingest (0 when nothing was ingested).
-- A page is computed from one generation; the server keys its caches by it.
-- parameters: none
-- columns: generation
with final as (
    select coalesce(max(id), 0) as generation from ingest_log
)
select * from final
