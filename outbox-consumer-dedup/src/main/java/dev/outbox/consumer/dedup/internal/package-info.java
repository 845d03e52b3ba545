/** The SQL, migrations and cleanup behind the dedup module. Not API: may change in any release. */
package dev.outbox.consumer.dedup.internal;
