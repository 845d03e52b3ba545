package dev.outbox.benchmarks.harness;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FigureTest {

    @Test
    void theRatioIsTakenPerRepetitionThenSummarised() {
        Figure f = new Figure("b", "m", "msg/s", "raw", Target.ratioAtLeast(0.8));
        f.add(80, 100).add(45, 50).add(70, 100);
        assertThat(f.ratioValues()).containsExactly(0.8, 0.9, 0.7);
        assertThat(f.ratio().median()).isEqualTo(0.8);
        assertThat(f.ratio().min()).isEqualTo(0.7);
        assertThat(f.ratio().max()).isEqualTo(0.9);
        assertThat(f.met()).isTrue();
    }

    @Test
    void aRatioTargetBelowTheMedianIsMissed() {
        Figure f = new Figure("b", "m", "msg/s", "raw", Target.ratioAtLeast(0.8));
        f.add(50, 100);
        assertThat(f.met()).isFalse();
    }

    @Test
    void aValueTargetLooksAtTheOutboxFigure() {
        Figure f = new Figure("latency", "p50", "ms", "raw", Target.valueAtMost(5, "ms"));
        f.add(4, 1);
        assertThat(f.met()).isTrue();
        f.add(9, 1).add(8, 1);
        assertThat(f.outbox().median()).isEqualTo(8);
        assertThat(f.met()).isFalse();
    }

    @Test
    void withoutABaselineThereIsNoRatioAndNoVerdict() {
        Figure f = new Figure("latency", "max", "msg/s", "", Target.NONE);
        f.add(1000, Double.NaN);
        assertThat(f.ratio().present()).isFalse();
        assertThat(f.met()).isNull();
    }
}
