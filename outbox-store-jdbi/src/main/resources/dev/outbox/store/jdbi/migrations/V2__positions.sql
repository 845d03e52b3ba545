-- Version 2. The relay reads each lane from a position (id > the last one it read) instead of from the lane's lowest
-- id, so rows it deleted and vacuum has not removed yet (a long transaction elsewhere holds them) are never walked
-- again. A transaction that took a lower id and commits after a higher one was read is found by its transaction id:
-- every row records the appending transaction, and the relay looks up the transactions that were in progress at its
-- previous read.
alter table ${table:message} add column xid xid8 not null default pg_current_xact_id();
create index ${name:message_xid} on ${table:message} (xid) where sent_at is null;
-- A message's age counts from its append, not from the start of the transaction that appended it.
alter table ${table:message} alter column created_at set default clock_timestamp();

-- Restarting a lane or skipping its head raises its generation, so a relay that stopped the lane tells a restart from
-- a heartbeat answered before its own stop.
alter table ${table:lane} add column generation bigint not null default 0;

-- A lane's lease is its owner's: a heartbeat renews one row (the relay's), and lane rows change only when lanes change
-- hands. Rows that are updated every second would otherwise pile up dead versions while a long transaction runs.
alter table ${table:lane} drop column lease_until;
