/**
 * The Kafka adapter's machinery: error classification, topic checks, pattern translation and the subscriber. Not an
 * API: types here may change in any release.
 */
package dev.outbox.broker.kafka.internal;
