-- sync_state_insert: where a synced source stands, with the data its run wrote.
-- parameters: $1 = the source, $2 = its state (JSON), $3 = when it was written
insert into sync_state values (?, ?, ?)
