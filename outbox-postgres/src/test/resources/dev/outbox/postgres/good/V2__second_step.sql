create table ${table} (id bigint primary key references ${table:item} (id));
