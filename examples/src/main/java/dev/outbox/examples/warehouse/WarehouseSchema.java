package dev.outbox.examples.warehouse;

import org.jdbi.v3.core.Jdbi;

/** The example's own tables: the command side's state and each consumer's state, apart. */
public final class WarehouseSchema {
    private WarehouseSchema() {}

    /** Creates the tables if they are missing. */
    public static void create(Jdbi jdbi) {
        jdbi.useHandle(h -> h.createScript(
                        """
                create table if not exists warehouse_product (
                    sku      text primary key,
                    quantity int not null check (quantity >= 0)
                );
                create table if not exists warehouse_catalog (
                    sku  text primary key,
                    name text not null
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
                """)
                .execute());
    }
}
