/**
 * Outbox in a Spring Boot application: {@link dev.outbox.spring.SpringOutbox} appends in the Spring-managed
 * transaction of the caller, {@link dev.outbox.spring.OutboxSubscriber} beans consume exactly once in a Spring
 * transaction, {@link dev.outbox.spring.OutboxProperties} are the {@code outbox.*} settings. The auto-configuration
 * ({@code dev.outbox.spring.autoconfigure}) builds the same classes as the Guice modules do.
 */
package dev.outbox.spring;
