package dev.outbox.broker.rabbit;

import static dev.outbox.broker.rabbit.TestMessages.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.RetriableException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A RabbitMQ URI that {@code java.net.URI} cannot read never falls back to a broker on localhost with default
 * credentials: with a real broker listening on localhost, a host with {@code _} is that host (unreachable here, so
 * nothing is published anywhere), and a port that is not a number fails at {@code build()}.
 */
class RabbitUriIT {
    @RegisterExtension
    static final RabbitVhost rabbit = new RabbitVhost();

    private String vhost() {
        return URLEncoder.encode(rabbit.name(), StandardCharsets.UTF_8);
    }

    @Test
    void aHostWithAnUnderscoreIsThatHostNeverTheLocalBroker() throws Exception {
        RabbitBrokerSettings settings = rabbit.settings()
                .uri("amqp://guest:guest@rabbit_1.invalid:5672/" + vhost())
                .connectionTimeout(Duration.ofSeconds(2))
                .publishTimeout(Duration.ofSeconds(5))
                .build();
        assertThat(settings.host()).isEqualTo("rabbit_1.invalid");

        try (Connection admin = rabbit.adminConnection();
                Channel ch = admin.createChannel()) {
            // A queue on the local broker that would catch whatever reached it under this exchange.
            ch.exchangeDeclare(settings.exchange(), "topic", true);
            String watch = ch.queueDeclare().getQueue();
            ch.queueBind(watch, settings.exchange(), "#");

            try (RabbitBroker broker = RabbitBroker.create(settings)) {
                CompletableFuture<Void> f = broker.publish(List.of(message(1, "Warehouse.Events.ProductAdded", "k")))
                        .get(0);
                assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class)
                        .cause()
                        .isInstanceOf(RetriableException.class);
            }
            assertThat(ch.queueDeclarePassive(watch).getMessageCount())
                    .as("nothing reached the local broker")
                    .isZero();
        }
    }

    @Test
    void aPortThatIsNotANumberFailsAtBuildNamingThePort() {
        RabbitBrokerSettings.Builder builder = rabbit.settings().uri("amqp://guest:guest@127.0.0.1:five/" + vhost());

        assertThatThrownBy(builder::build)
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("port")
                .hasMessageNotContaining("guest:guest");
    }
}
