package dev.outbox.internal;

import dev.outbox.Backoff;
import dev.outbox.RelayListener;
import dev.outbox.Ticker;
import dev.outbox.spi.Broker;
import dev.outbox.spi.MessageStore;
import dev.outbox.spi.PartitionMonitor;
import java.time.Clock;
import java.time.Duration;

/** The relay's validated settings; see {@link dev.outbox.Relay.Builder} for each one's meaning and default. */
public record RelaySettings(
        MessageStore store,
        Broker broker,
        String source,
        String relayId,
        PartitionMonitor monitor,
        RelayListener listener,
        Clock clock,
        Ticker ticker,
        Duration frequency,
        int batchSize,
        int concurrency,
        int maxAttempts,
        Backoff backoff,
        Duration publishTimeout,
        Duration lease,
        Duration heartbeat,
        Duration lagThreshold,
        Duration maintenanceInterval) {}
