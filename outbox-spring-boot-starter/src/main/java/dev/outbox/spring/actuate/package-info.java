/**
 * Actuator support: the {@code outbox} health indicator and endpoint, configured by {@link
 * dev.outbox.spring.actuate.OutboxActuatorAutoConfiguration} when Actuator is on the class path.
 */
package dev.outbox.spring.actuate;
