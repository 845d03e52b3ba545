/** The one-command demo of the warehouse: {@link dev.outbox.examples.demo.Demo}. */
package dev.outbox.examples.demo;
