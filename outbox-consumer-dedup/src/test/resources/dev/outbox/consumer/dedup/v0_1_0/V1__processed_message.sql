-- The messages each consumer has processed, recorded in the transaction of the handler that processed them.
create table if not exists ${table} (
    consumer     text        not null,
    source       text        not null,
    message_id   bigint      not null,
    processed_at timestamptz not null default now(),
    primary key (consumer, source, message_id)
);

-- Retention cleanup reads a consumer's oldest rows through this index rather than scanning the table.
create index if not exists ${cleanup_index} on ${table} (consumer, processed_at);
