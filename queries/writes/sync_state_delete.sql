-- sync_state_delete: forgets where a synced source stood (before its new state is kept).
-- parameters: $1 = the source
delete from sync_state where source = ?
