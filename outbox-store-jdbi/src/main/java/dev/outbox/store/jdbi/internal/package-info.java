/** Parts of the JDBI store that are not API. */
package dev.outbox.store.jdbi.internal;
