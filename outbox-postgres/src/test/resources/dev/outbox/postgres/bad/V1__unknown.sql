create table ${t}item (id bigint);
