/**
 * The PostgreSQL message store on JDBI 3: {@link dev.outbox.store.jdbi.JdbiMessageStore}, its settings and the {@link
 * dev.outbox.store.jdbi.JdbiOutbox} shortcut for appending through a JDBI {@code Handle}.
 */
package dev.outbox.store.jdbi;
