/** Guice wiring of the core: {@link dev.outbox.guice.OutboxModule}. The only core package that imports Guice. */
package dev.outbox.guice;
