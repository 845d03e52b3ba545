package dev.outbox.metrics.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.outbox.Backoff;
import dev.outbox.FatalException;
import dev.outbox.Message;
import dev.outbox.Outbox;
import dev.outbox.OutgoingMessage;
import dev.outbox.Relay;
import dev.outbox.RetriableException;
import dev.outbox.StoppedLane;
import dev.outbox.SubscriptionSpec;
import dev.outbox.consumer.dedup.DedupTable;
import dev.outbox.consumer.dedup.Deduplicator;
import dev.outbox.store.jdbi.JdbiMessageStore;
import dev.outbox.store.jdbi.JdbiOutbox;
import dev.outbox.store.jdbi.JdbiStoreConfig;
import dev.outbox.testkit.PostgresExtension;
import dev.outbox.testkit.RecordingBroker;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Grafana dashboard and the Prometheus alert rules in {@code docs/observability} query only what the meters
 * publish. Real traffic (a PostgreSQL store, a relay, a deduplicating consumer; a message retried, one that stops its
 * lane and is restarted, one dead-lettered, one delivered twice) runs with a Prometheus registry; its scrape must hold
 * every metric, label and literal label value that a panel, an annotation, a variable or a rule reads. A renamed meter
 * or tag breaks this test, not an operator's dashboard.
 */
class DashboardIT {
    @RegisterExtension
    static final PostgresExtension pg = new PostgresExtension();

    private static final Path DOCS =
            Path.of("").toAbsolutePath().resolveSibling("docs").resolve("observability");
    private static final Path DASHBOARD = DOCS.resolve("outbox-dashboard.json");
    private static final Path ALERTS = DOCS.resolve("outbox-alerts.yml");
    private static final String TOPIC = "Warehouse.Events.Dashboard";
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** A query of the dashboard or of the rules, and where it was found. */
    private record Query(String where, PromQl.Reads reads) {}

    @Test
    void everyMetricAndLabelTheDashboardAndTheAlertsQueryIsInARealScrape() throws Exception {
        Scrape scrape = Scrape.parse(scrapeAfterRealTraffic());
        List<Query> queries = new ArrayList<>();
        queries.addAll(dashboardQueries(new ObjectMapper().readTree(DASHBOARD.toFile())));
        queries.addAll(alertQueries(new ObjectMapper(new YAMLFactory()).readTree(ALERTS.toFile())));

        List<String> problems = new ArrayList<>();
        for (Query q : queries) {
            problems.addAll(scrape.problems(q.where(), q.reads()));
        }
        assertThat(problems)
                .as("queries reading what the scrape lacks; the scrape has %s", scrape.names())
                .isEmpty();

        Set<String> read = new TreeSet<>();
        queries.forEach(q -> q.reads().selectors().forEach(s -> read.add(s.metric())));
        assertThat(read)
                .as("the operator's questions each have a panel or a rule")
                .contains(
                        "outbox_backlog",
                        "outbox_backlog_oldest_age_seconds",
                        "outbox_lane_backlog",
                        "outbox_lane_oldest_age_seconds",
                        "outbox_relay_published_messages_total",
                        "outbox_relay_failures_messages_total",
                        "outbox_relay_publish_latency_seconds_bucket",
                        "outbox_relay_round_duration_seconds_sum",
                        "outbox_relay_batch_size_messages_sum",
                        "outbox_store_lanes_stopped",
                        "outbox_lane_stopped",
                        "outbox_relay_lane_stops_total",
                        "outbox_relay_lane_restarts_total",
                        "outbox_relay_lanes_owned_lanes",
                        "outbox_consumer_handled_total",
                        "outbox_consumer_failed_total",
                        "outbox_consumer_dead_lettered_total",
                        "outbox_dedup_duplicates_skipped_total");
    }

    @Test
    void theAlertRulesCoverTheFailuresAnOperatorMustHearAbout() throws IOException {
        JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(ALERTS.toFile());
        Map<String, String> byName = new LinkedHashMap<>();
        rules.get("groups").forEach(g -> g.get("rules").forEach(r -> {
            assertThat(r.hasNonNull("labels") && r.get("labels").hasNonNull("severity"))
                    .as("rule %s has a severity", r.path("alert").asText())
                    .isTrue();
            assertThat(r.path("annotations").hasNonNull("summary"))
                    .as("rule %s has a summary", r.path("alert").asText())
                    .isTrue();
            byName.put(r.get("alert").asText(), r.get("expr").asText());
        }));
        assertThat(byName)
                .containsKeys(
                        "OutboxLaneStopped",
                        "OutboxOldestMessageTooOld",
                        "OutboxNoRelayHoldsLanes",
                        "OutboxMessagesDeadLettered");
        assertThat(byName.get("OutboxLaneStopped")).contains("outbox_store_lanes_stopped");
        assertThat(byName.get("OutboxOldestMessageTooOld")).contains("outbox_backlog_oldest_age_seconds");
        assertThat(byName.get("OutboxNoRelayHoldsLanes")).contains("outbox_relay_lanes_owned_lanes");
        assertThat(byName.get("OutboxMessagesDeadLettered")).contains("outbox_consumer_dead_lettered_total");
    }

    @Test
    void theDashboardIsImportable() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        assertThat(dashboard.path("uid").asText()).isNotBlank();
        assertThat(dashboard.path("title").asText()).isNotBlank();
        Set<Integer> ids = new TreeSet<>();
        int lanesStoppedAnnotations = 0;
        for (JsonNode panel : dashboard.get("panels")) {
            assertThat(ids.add(panel.get("id").asInt()))
                    .as("panel id %s is unique", panel.get("id"))
                    .isTrue();
            assertThat(panel.path("title").asText()).isNotBlank();
            JsonNode grid = panel.get("gridPos");
            assertThat(grid.get("x").asInt() + grid.get("w").asInt())
                    .as("panel %s fits the 24 columns", panel.get("title"))
                    .isLessThanOrEqualTo(24);
            if (!panel.get("type").asText().equals("row")) {
                assertThat(panel.get("targets"))
                        .as("panel %s queries", panel.get("title"))
                        .isNotEmpty();
                panel.get("targets")
                        .forEach(t -> assertThat(t.path("refId").asText()).isNotBlank());
            }
        }
        for (JsonNode a : dashboard.at("/annotations/list")) {
            if (a.path("expr").asText().contains("outbox_relay_lane_")) {
                lanesStoppedAnnotations++;
            }
        }
        assertThat(lanesStoppedAnnotations)
                .as("stops and restarts as annotations")
                .isEqualTo(2);
    }

    private static List<Query> dashboardQueries(JsonNode dashboard) {
        List<Query> queries = new ArrayList<>();
        List<JsonNode> panels = new ArrayList<>();
        dashboard.get("panels").forEach(panels::add);
        dashboard.get("panels").forEach(p -> p.path("panels").forEach(panels::add)); // collapsed rows
        for (JsonNode panel : panels) {
            for (JsonNode target : panel.path("targets")) {
                String where = "panel '" + panel.get("title").asText() + "' "
                        + target.get("refId").asText();
                queries.add(new Query(where, PromQl.read(target.get("expr").asText())));
            }
        }
        for (JsonNode annotation : dashboard.at("/annotations/list")) {
            if (annotation.hasNonNull("expr")) {
                queries.add(new Query(
                        "annotation '" + annotation.get("name").asText() + "'",
                        PromQl.read(annotation.get("expr").asText())));
            }
        }
        for (JsonNode variable : dashboard.at("/templating/list")) {
            if (variable.path("type").asText().equals("query")) {
                JsonNode query = variable.get("query");
                String text =
                        query.isTextual() ? query.asText() : query.get("query").asText();
                queries.add(new Query("variable $" + variable.get("name").asText(), PromQl.readVariable(text)));
            }
        }
        assertThat(queries).as("queries in the dashboard").hasSizeGreaterThan(20);
        return queries;
    }

    private static List<Query> alertQueries(JsonNode rules) {
        List<Query> queries = new ArrayList<>();
        rules.get("groups").forEach(g -> g.get("rules")
                .forEach(r -> queries.add(new Query(
                        "rule " + r.get("alert").asText(),
                        PromQl.read(r.get("expr").asText())))));
        assertThat(queries).as("alert rules").isNotEmpty();
        return queries;
    }

    /**
     * A relay, the backlog poller and a deduplicating consumer, every meter of the module in one Prometheus registry,
     * through the cases an operator watches for; the scrape at the end.
     */
    private static String scrapeAfterRealTraffic() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        JdbiMessageStore store = JdbiMessageStore.create(
                pg.jdbi(),
                JdbiStoreConfig.builder().tablePrefix("dashboard").lanes(8).build());
        store.migrate();
        JdbiOutbox outbox = JdbiOutbox.of(Outbox.builder().store(store).build());
        Set<Long> failedOnce = ConcurrentHashMap.newKeySet();
        RecordingBroker broker = new RecordingBroker()
                .failWhen(m -> switch (m.envelope().type()) {
                    case "Unpublishable" -> Optional.of(new FatalException("record too large"));
                    case "Flaky" -> failedOnce.add(m.envelope().messageId().value())
                            ? Optional.of(new RetriableException("broker busy"))
                            : Optional.empty();
                    default -> Optional.empty();
                });
        SubscriptionSpec spec = SubscriptionSpec.builder("dashboard-view")
                .patterns("Warehouse.Events.#")
                .maxAttempts(1)
                .build();
        try (Deduplicator dedup = Deduplicator.builder()
                        .jdbi(pg.jdbi())
                        .consumer("dashboard-view")
                        .table(DedupTable.named("dashboard_processed"))
                        .listener(DedupMetrics.create(registry))
                        .build();
                BacklogMetrics backlog = BacklogMetrics.builder(store, registry)
                        .interval(Duration.ofMillis(100))
                        .build();
                Relay relay = Relay.builder()
                        .store(store)
                        .broker(broker)
                        .source("dashboard-it")
                        .listener(MicrometerRelayMetrics.create(registry))
                        .monitor(MicrometerPartitionMonitor.create(registry))
                        .frequency(Duration.ofMillis(20))
                        .backoff(Backoff.fixed(Duration.ofMillis(20)))
                        .lease(Duration.ofSeconds(2))
                        .heartbeat(Duration.ofMillis(200))
                        .build()) {
            dedup.migrate();
            broker.subscribe(
                    spec,
                    ConsumerMetrics.wrap(
                            spec,
                            dedup.wrap((h, m) -> {
                                if (m.envelope().type().equals("Poison")) {
                                    throw new FatalException("the consumer cannot read it");
                                }
                            }),
                            registry));
            backlog.start();
            relay.start();
            for (String type : List.of("Fine", "Flaky", "Poison", "Unpublishable", "Fine")) {
                pg.jdbi().useTransaction(h -> outbox.in(h)
                        .append(Message.builder(TOPIC)
                                .key(type)
                                .type(type)
                                .payload("{}", "application/json")
                                .build()));
            }
            await().atMost(WAIT).until(() -> relay.stoppedLanes().size() == 1);
            await().atMost(WAIT).until(() -> registry.scrape().contains("outbox_store_lanes_stopped 1.0"));
            String whileStopped = registry.scrape();

            broker.succeedAll();
            StoppedLane stopped = relay.stoppedLanes().get(0);
            relay.restart(stopped.lane());
            await().atMost(WAIT).until(() -> broker.published().size() == 5);
            // A processed message once more, as after a relay crash: the consumer's dedup skips it.
            OutgoingMessage again = broker.published().stream()
                    .filter(m -> m.envelope().type().equals("Fine"))
                    .findFirst()
                    .orElseThrow();
            broker.publish(List.of(again));
            await().atMost(WAIT).until(() -> registry.scrape().contains("outbox_dedup_duplicates_skipped_total"));
            String scrape = registry.scrape();
            assertThat(whileStopped).contains("outbox_lane_stopped{lane=\"" + stopped.lane() + "\"} 1.0");
            assertThat(scrape)
                    .contains("outbox_relay_lane_restarts_total 1.0")
                    .contains("outbox_consumer_dead_lettered_total{subscription=\"dashboard-view\"} 1.0");
            return scrape;
        } finally {
            registry.close();
        }
    }
}
