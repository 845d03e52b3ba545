package dev.outbox.guice;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Qualifies the {@link dev.outbox.spi.Broker} the relay of {@link OutboxModule} publishes through. By default it is the
 * bound {@code Broker}; a module that decorates the relay's publishing (the tracing module) replaces it with {@code
 * OptionalBinder.newOptionalBinder(binder(), Key.get(Broker.class, RelayBroker.class)).setBinding()}, or binds and
 * exposes it directly (see {@link OptionalBindings}).
 */
@jakarta.inject.Qualifier
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.FIELD, ElementType.PARAMETER, ElementType.METHOD})
public @interface RelayBroker {}
