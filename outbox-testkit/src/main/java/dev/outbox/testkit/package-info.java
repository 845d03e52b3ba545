/**
 * Test support: a real PostgreSQL per test class ({@link dev.outbox.testkit.PostgresExtension}), the published contract
 * tests for stores, brokers and the relay over both, and helpers to look into the outbox from a test.
 */
package dev.outbox.testkit;
