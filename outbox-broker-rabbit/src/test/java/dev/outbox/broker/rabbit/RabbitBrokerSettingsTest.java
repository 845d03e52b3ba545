package dev.outbox.broker.rabbit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.InvalidConfigurationException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RabbitBrokerSettingsTest {

    @Test
    void defaultsAreALocalBrokerAndTheMessagingExchange() {
        RabbitBrokerSettings s = RabbitBrokerSettings.builder().build();

        assertThat(s.host()).isEqualTo("localhost");
        assertThat(s.port()).isEqualTo(5672);
        assertThat(s.virtualHost()).isEqualTo("/");
        assertThat(s.username()).isEqualTo("guest");
        assertThat(s.tls()).isFalse();
        assertThat(s.exchange()).isEqualTo("messaging");
        assertThat(s.exchangeDeclaration()).isEqualTo(RabbitBrokerSettings.ExchangeDeclaration.DECLARE);
        assertThat(s.queuePrefix()).isEqualTo("outbox");
        assertThat(s.confirmWindow()).isEqualTo(1000);
        assertThat(s.publishTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(s.prefetch()).isEqualTo(100);
    }

    @Test
    void aUriSetsHostPortVirtualHostAndCredentials() {
        RabbitBrokerSettings s = RabbitBrokerSettings.builder()
                .uri("amqp://warehouse:s%40cret@rabbit.internal:5673/warehouse%2Fprod")
                .build();

        assertThat(s.host()).isEqualTo("rabbit.internal");
        assertThat(s.port()).isEqualTo(5673);
        assertThat(s.virtualHost()).isEqualTo("warehouse/prod");
        assertThat(s.username()).isEqualTo("warehouse");
        assertThat(s.password()).isEqualTo("s@cret");
        assertThat(s.tls()).isFalse();
    }

    @Test
    void anAmqpsUriTurnsTlsOnWithTheTlsPort() {
        RabbitBrokerSettings s = RabbitBrokerSettings.builder()
                .uri("amqps://u:p@rabbit.internal")
                .build();

        assertThat(s.tls()).isTrue();
        assertThat(s.sslContext()).isNotNull();
        assertThat(s.port()).isEqualTo(5671);
        assertThat(s.virtualHost()).isEqualTo("/");
    }

    @Test
    void aHostThatJavaNetUriCannotReadIsStillTheHost() {
        RabbitBrokerSettings s = RabbitBrokerSettings.builder()
                .uri("amqp://warehouse:topsecret@rabbit_1:5673/prod")
                .build();

        assertThat(s.host()).isEqualTo("rabbit_1");
        assertThat(s.port()).isEqualTo(5673);
        assertThat(s.username()).isEqualTo("warehouse");
        assertThat(s.password()).isEqualTo("topsecret");
        assertThat(s.virtualHost()).isEqualTo("prod");

        RabbitBrokerSettings v6 =
                RabbitBrokerSettings.builder().uri("amqp://[::1]:5674").build();
        assertThat(v6.host()).isEqualTo("::1");
        assertThat(v6.port()).isEqualTo(5674);
        assertThat(v6.username()).isEqualTo("guest");

        RabbitBrokerSettings userOnly =
                RabbitBrokerSettings.builder().uri("AMQP://ops@rabbit.internal").build();
        assertThat(userOnly.username()).isEqualTo("ops");
        assertThat(userOnly.password()).as("never the default guest password").isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "amqp://warehouse:topsecret@rabbit.internal:abc/prod | port",
                "amqp://warehouse:topsecret@rabbit.internal:/prod | port",
                "amqp://warehouse:topsecret@rabbit.internal:70000 | port",
                "amqp://warehouse:topsecret@rabbit.internal:5672:5673 | port",
                "amqp://warehouse:topsecret@/prod | host",
                "amqp:// | host",
                "amqp://warehouse:topsecret@rabbit internal/prod | host",
                "amqp://warehouse:top secret@rabbit.internal/prod | user info",
                "amqp://warehouse:top@secret@rabbit.internal/prod | '@'",
                "amqp://warehouse:topsecret@rabbit.internal/prod/more | virtual host",
                "amqp://warehouse:topsecret@rabbit.internal/ | empty virtual host",
                "amqp://warehouse:topsecret@rabbit.internal/%zz | virtual host",
                "amqp://warehouse:topsecret%@rabbit.internal/prod | password",
                "amqp://warehouse:topsecret%ff@rabbit.internal/prod | password",
                "amqp://warehouse:topsecret@rabbit.internal/prod?heartbeat=10 | query parameters",
                "amqp://warehouse:topsecret@rabbit.internal/prod#x | fragment",
                "amqp://warehouse:topsecret@[::1/prod | IPv6",
                "amqp://warehouse:topsecret@[rabbit]/prod | IPv6",
                "http://warehouse:topsecret@rabbit.internal/prod | amqp://",
                "rabbit.internal:5672 | amqp://",
            })
    void aUriThatDoesNotParseFailsAtBuildNamingThePartAndNeverThePassword(String uri, String part) {
        RabbitBrokerSettings.Builder builder = RabbitBrokerSettings.builder().uri(uri);
        assertThatThrownBy(builder::build)
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageStartingWith("uri ")
                .hasMessageContaining(part)
                .hasMessageNotContaining("topsecret")
                .hasMessageNotContaining(uri);
    }

    @Test
    void aHostGivenByItselfMustBeAHost() {
        assertThatThrownBy(() -> RabbitBrokerSettings.builder().host("rabbit 1").build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("host")
                .hasMessageContaining("rabbit 1");
        assertThat(RabbitBrokerSettings.builder().host("rabbit_1").build().host())
                .isEqualTo("rabbit_1");
        assertThat(RabbitBrokerSettings.builder().host("fe80::1").build().host())
                .isEqualTo("fe80::1");
    }

    @Test
    void thePasswordIsNeverShown() {
        RabbitBrokerSettings s = RabbitBrokerSettings.builder()
                .uri("amqp://warehouse:topsecret@rabbit.internal/prod")
                .build();

        assertThat(s.maskedUri()).isEqualTo("amqp://warehouse:****@rabbit.internal:5672/prod");
        assertThat(s.toString()).doesNotContain("topsecret").contains("****");
        assertThatThrownBy(() -> RabbitBrokerSettings.builder()
                        .uri("http://warehouse:topsecret@rabbit.internal/prod")
                        .build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("uri")
                .hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> RabbitBrokerSettings.builder()
                        .uri("amqp://warehouse:top secret@rabbit internal/prod")
                        .build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageNotContaining("secret");
    }

    @Test
    void badSettingsAreNamed() {
        assertThatThrownBy(() -> RabbitBrokerSettings.builder().exchange("").build())
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("exchange");
        assertThatThrownBy(() ->
                        RabbitBrokerSettings.builder().exchange("bad name").build())
                .hasMessageContaining("exchange");
        assertThatThrownBy(() ->
                        RabbitBrokerSettings.builder().exchange("amq.topic").build())
                .hasMessageContaining("CHECK");
        assertThatThrownBy(() -> RabbitBrokerSettings.builder().confirmWindow(0).build())
                .hasMessageContaining("confirmWindow");
        assertThatThrownBy(() -> RabbitBrokerSettings.builder()
                        .publishTimeout(Duration.ZERO)
                        .build())
                .hasMessageContaining("publishTimeout");
        assertThatThrownBy(() -> RabbitBrokerSettings.builder().port(70000).build())
                .hasMessageContaining("port");
        assertThatThrownBy(
                        () -> RabbitBrokerSettings.builder().queuePrefix("a/b").build())
                .hasMessageContaining("queuePrefix");
        assertThatThrownBy(() -> RabbitBrokerSettings.builder().prefetch(0).build())
                .hasMessageContaining("prefetch");
        assertThatThrownBy(() ->
                        RabbitBrokerSettings.builder().credentials(null, "x").build())
                .hasMessageContaining("username");
        assertThatThrownBy(() ->
                        RabbitBrokerSettings.builder().reconnectBackoff(null).build())
                .hasMessageContaining("reconnectBackoff");
        assertThatThrownBy(() -> RabbitBrokerSettings.builder()
                        .publishTimeout(Duration.ofDays(2))
                        .build())
                .hasMessageStartingWith("publishTimeout must be at most PT1H");
        assertThatThrownBy(() -> RabbitBrokerSettings.builder()
                        .connectionTimeout(Duration.ofDays(30))
                        .build())
                .hasMessageStartingWith("connectionTimeout must be at most PT10M");
        assertThatThrownBy(() -> RabbitBrokerSettings.builder()
                        .closeTimeout(Duration.ofSeconds(Long.MAX_VALUE))
                        .build())
                .hasMessageStartingWith("closeTimeout must be at most");
        assertThatThrownBy(() -> RabbitBrokerSettings.builder()
                        .heartbeat(Duration.ofMillis(500))
                        .build())
                .hasMessageStartingWith("heartbeat must be whole seconds");
        assertThatThrownBy(() -> RabbitBrokerSettings.builder()
                        .heartbeat(Duration.ofSeconds(65536))
                        .build())
                .hasMessageStartingWith("heartbeat must be at most");
        assertThatThrownBy(() -> RabbitBrokerSettings.builder()
                        .maxMessageBytes(Integer.MAX_VALUE)
                        .build())
                .hasMessageStartingWith("maxMessageBytes must be between 1 and 536870912");
        assertThatThrownBy(() ->
                        RabbitBrokerSettings.builder().confirmWindow(2_000_000).build())
                .hasMessageStartingWith("confirmWindow must be between");
        assertThatThrownBy(() -> RabbitBrokerSettings.builder()
                        .connectionName("outbox\r\nforged")
                        .build())
                .hasMessageStartingWith("connectionName must not contain control");
        assertThatThrownBy(() ->
                        RabbitBrokerSettings.builder().credentials("ops\n", "x").build())
                .hasMessageStartingWith("username must not contain control");
    }

    @Test
    void equalSettingsAreEqualAndToBuilderKeepsEverything() {
        RabbitBrokerSettings s =
                RabbitBrokerSettings.builder().exchange("orders").prefetch(7).build();

        assertThat(s.toBuilder().build()).isEqualTo(s).hasSameHashCodeAs(s);
        assertThat(s.toBuilder().prefetch(8).build()).isNotEqualTo(s);
    }
}
