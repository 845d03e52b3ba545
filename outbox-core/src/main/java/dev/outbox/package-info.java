/**
 * The public API of the outbox: {@link dev.outbox.Outbox} and its {@link dev.outbox.Appender} for the application, the
 * {@link dev.outbox.Relay} that publishes, the message and envelope values, and the exceptions.
 */
package dev.outbox;
