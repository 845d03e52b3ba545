create table ${table:item} (id bigint);
select 1 / 0;
