-- sync_state: where a synced source stood after its last good run.
-- parameters: $1 = the source
-- columns: state (JSON), synced_at
with final as (
    select state, synced_at
    from sync_state
    where source = ?
)
select * from final
