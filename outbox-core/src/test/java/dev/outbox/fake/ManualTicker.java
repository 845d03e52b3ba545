package dev.outbox.fake;

import dev.outbox.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link Ticker} that moves only when the test moves it, so a test of an hour's backoff takes no hour. */
public final class ManualTicker implements Ticker {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @Override
    public long nanoTime() {
        return nanos.get();
    }

    /** Moves time forward. */
    public void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }
}
