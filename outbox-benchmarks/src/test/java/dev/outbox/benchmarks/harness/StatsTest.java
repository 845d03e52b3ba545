package dev.outbox.benchmarks.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatsTest {

    @Test
    void medianOfAnOddCountIsTheMiddleValue() {
        Stats s = Stats.of(List.of(3.0, 1.0, 2.0));
        assertThat(s.median()).isEqualTo(2.0);
        assertThat(s.min()).isEqualTo(1.0);
        assertThat(s.max()).isEqualTo(3.0);
        assertThat(s.count()).isEqualTo(3);
    }

    @Test
    void medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        assertThat(Stats.of(List.of(4.0, 1.0, 3.0, 2.0)).median()).isEqualTo(2.5);
    }

    @Test
    void missingValuesAreLeftOut() {
        Stats s = Stats.of(Arrays.asList(Double.NaN, 5.0, null));
        assertThat(s.count()).isEqualTo(1);
        assertThat(s.median()).isEqualTo(5.0);
    }

    @Test
    void nothingMeasuredIsNotPresent() {
        assertThat(Stats.of(List.of()).present()).isFalse();
        assertThat(Format.stats(Stats.of(List.of()))).isEqualTo("–");
    }
}
