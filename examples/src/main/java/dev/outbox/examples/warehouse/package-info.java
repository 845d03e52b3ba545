/**
 * The warehouse: commands that change stock and append events in one transaction, and two consumers that keep their
 * own state from those events, each exactly once per event.
 */
package dev.outbox.examples.warehouse;
