package dev.outbox.broker.rabbit.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Names every thread this adapter and its AMQP client start {@code outbox-rabbit-...}, so thread dumps say whose. */
final class Threads {
    private Threads() {}

    /**
     * A factory of daemon threads named {@code outbox-rabbit-<role>-<n>}, for the AMQP client. The client renames some
     * of its threads after creating them ({@code AMQP Connection host:port}); such a thread puts our prefix back in
     * front when it starts.
     */
    static ThreadFactory named(String role) {
        AtomicInteger count = new AtomicInteger();
        String prefix = "outbox-rabbit-" + role + "-";
        return r -> {
            Thread t = new Thread(
                    () -> {
                        Thread self = Thread.currentThread();
                        if (!self.getName().startsWith(prefix)) {
                            self.setName(prefix + self.getName());
                        }
                        r.run();
                    },
                    prefix + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** A factory of one daemon thread named exactly {@code outbox-rabbit-<role>}. */
    static ThreadFactory single(String role) {
        return r -> {
            Thread t = new Thread(r, "outbox-rabbit-" + role);
            t.setDaemon(true);
            return t;
        };
    }
}
