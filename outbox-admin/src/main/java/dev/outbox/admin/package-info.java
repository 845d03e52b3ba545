/**
 * The operator's command line, {@code outbox-admin}: {@link dev.outbox.admin.OutboxAdmin} inspects an outbox's lanes
 * in PostgreSQL, restarts or skips stopped lanes, replays parked messages, prints and applies the schema. See {@code
 * docs/admin.md}.
 */
package dev.outbox.admin;
