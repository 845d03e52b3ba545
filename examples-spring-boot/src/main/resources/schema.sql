create table if not exists warehouse_product (
    sku      text primary key,
    quantity int not null check (quantity >= 0)
);
create table if not exists products_view (
    sku      text primary key,
    quantity int not null
);
create table if not exists low_quantity_notifier (
    sku      text primary key,
    quantity int not null,
    low      boolean not null
);
