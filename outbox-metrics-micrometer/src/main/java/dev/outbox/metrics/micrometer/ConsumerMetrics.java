package dev.outbox.metrics.micrometer;

import dev.outbox.FatalException;
import dev.outbox.IncomingMessage;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.MessageHandler;
import dev.outbox.SubscriptionSpec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

/**
 * Consumer metrics that work with every broker adapter, by wrapping the handler given to {@code Broker.subscribe}:
 *
 * <pre>{@code
 * SubscriptionSpec spec = SubscriptionSpec.builder("stock-projection").patterns("Warehouse.Events.#").build();
 * broker.subscribe(spec, ConsumerMetrics.wrap(spec, handler, registry));
 * }</pre>
 *
 * <table>
 *   <caption>Consumer meters, tagged {@code subscription} (the spec's name)</caption>
 *   <tr><th>name</th><th>type</th><th>what</th></tr>
 *   <tr><td>{@code outbox.consumer.handled}</td><td>counter</td><td>messages the handler processed without error</td></tr>
 *   <tr><td>{@code outbox.consumer.failed}</td><td>counter</td>
 *       <td>attempts that threw (each retry that throws counts again)</td></tr>
 *   <tr><td>{@code outbox.consumer.dead.lettered}</td><td>counter</td>
 *       <td>attempts after which the subscriber dead-letters the message: a failure on the last attempt ({@code
 *       deliveryAttempt >= maxAttempts}) or a {@link FatalException}</td></tr>
 *   <tr><td>{@code outbox.consumer.handle.duration}</td><td>timer</td><td>time spent in the handler, success or not</td></tr>
 * </table>
 *
 * <p>Wrap the outermost handler you give the broker (outside the dedup wrapper, if any, so duplicates skipped by dedup
 * count as handled). The cardinality of {@code subscription} is the number of subscriptions an application makes.
 */
public final class ConsumerMetrics {
    private ConsumerMetrics() {}

    /**
     * A handler that counts what {@code handler} does and otherwise behaves exactly like it: same return, same
     * exception.
     *
     * @param spec the subscription the handler is given to; its name tags the meters, its {@code maxAttempts} tells a
     *     last attempt
     * @throws InvalidConfigurationException if an argument is null
     */
    public static MessageHandler wrap(SubscriptionSpec spec, MessageHandler handler, MeterRegistry registry) {
        if (spec == null) {
            throw new InvalidConfigurationException("spec must not be null");
        }
        if (handler == null) {
            throw new InvalidConfigurationException("handler must not be null");
        }
        if (registry == null) {
            throw new InvalidConfigurationException("registry must not be null");
        }
        Tags tags = Tags.of("subscription", spec.name());
        Counter handled = Counter.builder("outbox.consumer.handled")
                .description("Messages the consumer's handler processed without error")
                .tags(tags)
                .register(registry);
        Counter failed = Counter.builder("outbox.consumer.failed")
                .description("Handler attempts that threw")
                .tags(tags)
                .register(registry);
        Counter deadLettered = Counter.builder("outbox.consumer.dead.lettered")
                .description("Messages whose last attempt failed, or that failed fatally: dead-lettered")
                .tags(tags)
                .register(registry);
        Timer duration = Timer.builder("outbox.consumer.handle.duration")
                .description("Time spent in the consumer's handler")
                .tags(tags)
                .register(registry);
        int maxAttempts = spec.maxAttempts();
        return new MessageHandler() {
            @Override
            public void handle(IncomingMessage message) {
                long start = registry.config().clock().monotonicTime();
                try {
                    handler.handle(message);
                    handled.increment();
                } catch (RuntimeException | Error e) {
                    failed.increment();
                    if (e instanceof FatalException || message.deliveryAttempt() >= maxAttempts) {
                        deadLettered.increment();
                    }
                    throw e;
                } finally {
                    duration.record(
                            registry.config().clock().monotonicTime() - start,
                            java.util.concurrent.TimeUnit.NANOSECONDS);
                }
            }

            @Override
            public String toString() {
                return "ConsumerMetrics[" + spec.name() + ", " + handler + "]";
            }
        };
    }
}
