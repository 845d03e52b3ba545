-- A table, an index on it, a parameter.
create table ${table:item} (id bigint primary key, size int not null default ${size});
create index ${name:item_size} on ${table:item} (size);
