/**
 * The warehouse as a Spring Boot web service, on the Outbox starter: commands over HTTP append the Guice warehouse's
 * events in the request's transaction (JdbcClient by default, Spring Data JPA with the {@code jpa} profile), the products
 * view and the low-quantity notifier consume them exactly once. {@link dev.outbox.examples.spring.WarehouseDemo} runs
 * it on an embedded PostgreSQL and Kafka.
 */
package dev.outbox.examples.spring;
