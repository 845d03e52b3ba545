package dev.outbox.spring.autoconfigure;

import java.util.Locale;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.ClassUtils;

/**
 * Which broker module publishes: the one {@code outbox.broker} names, else the only one on the class path. With both
 * on the class path and no choice, neither matches, and the relay's bean says what to set. An unknown value matches
 * neither; binding {@code outbox.broker} refuses it, naming the property.
 */
abstract class OnBroker extends SpringBootCondition {
    static final String KAFKA = "dev.outbox.broker.kafka.KafkaBroker";
    static final String RABBIT = "dev.outbox.broker.rabbit.RabbitBroker";

    private final String name;
    private final String brokerClass;
    private final String otherClass;

    OnBroker(String name, String brokerClass, String otherClass) {
        this.name = name;
        this.brokerClass = brokerClass;
        this.otherClass = otherClass;
    }

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        ClassLoader loader = context.getClassLoader();
        if (!ClassUtils.isPresent(brokerClass, loader)) {
            return ConditionOutcome.noMatch(brokerClass + " is not on the class path");
        }
        String chosen = context.getEnvironment().getProperty("outbox.broker");
        if (chosen != null && !chosen.isBlank()) {
            boolean match =
                    chosen.trim().replace("-", "").toLowerCase(Locale.ROOT).equals(name);
            return new ConditionOutcome(match, "outbox.broker=" + chosen);
        }
        if (ClassUtils.isPresent(otherClass, loader)) {
            return ConditionOutcome.noMatch("both broker modules are on the class path and outbox.broker is not set");
        }
        return ConditionOutcome.match("the only broker module on the class path");
    }

    /** Kafka publishes. */
    static final class Kafka extends OnBroker {
        Kafka() {
            super("kafka", KAFKA, RABBIT);
        }
    }

    /** RabbitMQ publishes. */
    static final class Rabbit extends OnBroker {
        Rabbit() {
            super("rabbitmq", RABBIT, KAFKA);
        }
    }
}
