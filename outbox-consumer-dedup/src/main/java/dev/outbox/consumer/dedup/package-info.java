/**
 * Exactly-once processing on top of at-least-once delivery (guarantee G5).
 *
 * <p>A {@link dev.outbox.consumer.dedup.Deduplicator} wraps a {@link dev.outbox.consumer.dedup.TransactionalHandler}
 * into a {@link dev.outbox.MessageHandler} that any subscriber runs: in one JDBI transaction it records {@code
 * (consumer, source, message_id)} in the {@link dev.outbox.consumer.dedup.ProcessedMessages} table and runs the handler
 * with that transaction's {@code Handle}, so the handler's writes and the record commit together, or not at all. A
 * redelivered message finds its record and is skipped. Records older than a retention window are deleted in bounded
 * batches.
 */
package dev.outbox.consumer.dedup;
