package dev.outbox.internal;

import dev.outbox.RelayListener;
import dev.outbox.spi.PartitionMonitor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls into the user's monitor and listener. A failing one is logged and otherwise ignored: a listener that throws
 * must not fail an acknowledgement (the message would be published again, forever), nor a monitor stop the relay.
 */
final class Calls {
    private static final Logger log = LoggerFactory.getLogger(Calls.class);

    private Calls() {}

    static void monitor(RelaySettings s, Consumer<PartitionMonitor> call) {
        try {
            call.accept(s.monitor());
        } catch (RuntimeException e) {
            log.warn("relay {}: a PartitionMonitor failed", s.relayId(), e);
        }
    }

    static void listener(RelaySettings s, Consumer<RelayListener> call) {
        try {
            call.accept(s.listener());
        } catch (RuntimeException e) {
            log.warn("relay {}: a RelayListener failed", s.relayId(), e);
        }
    }
}
