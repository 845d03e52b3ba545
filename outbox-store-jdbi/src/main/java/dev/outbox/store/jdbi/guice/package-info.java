/** Guice wiring of the JDBI store: {@link dev.outbox.store.jdbi.guice.JdbiStoreModule}. */
package dev.outbox.store.jdbi.guice;
