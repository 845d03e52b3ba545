package dev.outbox.metrics.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outbox.metrics.micrometer.PromQl.Matcher;
import dev.outbox.metrics.micrometer.PromQl.Reads;
import dev.outbox.metrics.micrometer.PromQl.Selector;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The PromQL reader and the scrape check that DashboardIT relies on: they must find what is wrong. */
class PromQlTest {
    private static final String SCRAPE =
            """
            # HELP outbox_relay_failures_messages_total Failed publish attempts
            # TYPE outbox_relay_failures_messages_total counter
            outbox_relay_failures_messages_total{kind="fatal",topic="Warehouse.Events.A"} 0.0
            outbox_relay_failures_messages_total{kind="retriable",topic="Warehouse.Events.A"} 2.0
            outbox_relay_publish_latency_seconds_bucket{le="0.005"} 1
            outbox_relay_publish_latency_seconds_bucket{le="+Inf"} 3
            outbox_backlog 4.0
            outbox_lane_backlog{lane="0",note="a \\"quoted\\", value"} 1.0
            """;

    private final Scrape scrape = Scrape.parse(SCRAPE);

    @Test
    void readsMetricsMatchersAndGroupingLabels() {
        Reads r = PromQl.read("histogram_quantile(0.99, sum by (job, le) "
                + "(rate(outbox_relay_publish_latency_seconds_bucket{job=~\"$job\"}[$__rate_interval])))");
        assertThat(r.selectors())
                .containsExactly(new Selector(
                        "outbox_relay_publish_latency_seconds_bucket", List.of(new Matcher("job", "=~", "$job"))));
        assertThat(r.labels()).containsExactlyInAnyOrder("job", "le");

        Reads alert = PromQl.read("(max by (job) (outbox_backlog) > 0) unless on (job) "
                + "(sum by (job) (outbox_relay_lanes_owned_lanes) > 0)");
        assertThat(alert.selectors())
                .extracting(Selector::metric)
                .containsExactly("outbox_backlog", "outbox_relay_lanes_owned_lanes");

        Reads literal = PromQl.read("sum(increase(outbox_relay_failures_messages_total{job=~\"$job\", "
                + "kind=\"fatal\"}[$__range])) == bool 1e3 offset 5m");
        assertThat(literal.selectors().get(0).matchers())
                .containsExactly(new Matcher("job", "=~", "$job"), new Matcher("kind", "=", "fatal"));
        assertThat(literal.selectors()).hasSize(1);
    }

    @Test
    void readsGrafanaLabelValuesQueries() {
        assertThat(PromQl.readVariable("label_values(job)")).isEqualTo(new Reads(List.of(), Set.of("job")));
        Reads r = PromQl.readVariable("label_values(outbox_lane_backlog{lane!=\"\"}, lane)");
        assertThat(r.selectors()).extracting(Selector::metric).containsExactly("outbox_lane_backlog");
        assertThat(r.labels()).containsExactly("lane");
    }

    @Test
    void refusesWhatItCannotRead() {
        assertThatThrownBy(() -> PromQl.read("{__name__=\"outbox_backlog\"}"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PromQl.read("outbox_backlog{lane=}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PromQl.read("sum by (job (outbox_backlog)"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void parsesTheScrapeWithEscapedValues() {
        assertThat(scrape.names())
                .containsExactly(
                        "outbox_backlog",
                        "outbox_lane_backlog",
                        "outbox_relay_failures_messages_total",
                        "outbox_relay_publish_latency_seconds_bucket");
        assertThat(scrape.series("outbox_lane_backlog").get(0))
                .containsEntry("lane", "0")
                .containsEntry("note", "a \"quoted\", value");
    }

    @Test
    void findsAMissingMetricLabelOrValueAndAcceptsWhatIsThere() {
        assertThat(scrape.problems(
                        "ok",
                        PromQl.read("sum by (job, kind) (rate(outbox_relay_failures_messages_total"
                                + "{job=~\"$job\", kind=\"fatal\", instance=\"x\"}[5m]))")))
                .isEmpty();
        assertThat(scrape.problems("renamed", PromQl.read("outbox_relay_published_total")))
                .containsExactly("renamed: metric outbox_relay_published_total is not in the scrape");
        assertThat(scrape.problems("label", PromQl.read("outbox_backlog{lane=\"1\"}")))
                .containsExactly("label: metric outbox_backlog has no label lane");
        assertThat(scrape.problems("value", PromQl.read("outbox_relay_failures_messages_total{kind=\"Fatal\"}")))
                .containsExactly(
                        "value: metric outbox_relay_failures_messages_total has no series with kind=\"Fatal\"");
        assertThat(scrape.problems("grouping", PromQl.read("sum by (topics) (outbox_relay_failures_messages_total)")))
                .containsExactly(
                        "grouping: label topics is on none of the metrics [outbox_relay_failures_messages_total]");
    }
}
