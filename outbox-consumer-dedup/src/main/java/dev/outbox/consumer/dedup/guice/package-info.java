/**
 * Guice wiring of the dedup module: {@link dev.outbox.consumer.dedup.guice.DedupModule}. The only package of the module
 * that imports Guice, which is an optional dependency.
 */
package dev.outbox.consumer.dedup.guice;
