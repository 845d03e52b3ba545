package dev.outbox.internal;

import dev.outbox.DrainResult;
import dev.outbox.ParkedMessage;
import dev.outbox.Relay;
import dev.outbox.StoppedLane;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay: its parts, their threads, and the operator's commands.
 *
 * <ul>
 *   <li>{@link LaneLeases}: the lanes held, renewed by the heartbeat thread;
 *   <li>a {@link Worker} per share of the lanes, each with its own thread: reads, hands messages to the broker, settles
 *       acknowledgements in order per lane, retries and stops lanes;
 *   <li>the {@link Acknowledger} thread: deletes acknowledged messages in batches;
 *   <li>{@link Maintenance}: the backlog reading (lag check and metrics) and the purge, on its own thread.
 * </ul>
 *
 * Every thread is named after the relay and stopped by {@link #close()}.
 */
public final class DefaultRelay implements Relay {
    private static final Logger log = LoggerFactory.getLogger(DefaultRelay.class);
    /** How long close waits for each of the relay's threads. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);
    /** How long close lets what is in flight settle before it gives it up. */
    private static final Duration SETTLE_WAIT = Duration.ofSeconds(2);

    private final RelaySettings s;
    private final LaneLeases leases;
    private final Acknowledger acknowledger;
    private final List<Worker> workers = new ArrayList<>();
    private final Maintenance maintenance;
    private final Object lifecycle = new Object();
    /** Every thread the relay started, joined by close. */
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    /** True between start and close: the loops run. */
    private volatile boolean running;

    // Guarded by lifecycle.
    private boolean started;
    private boolean closed;
    private final List<Thread> loops = new ArrayList<>();
    private Thread acknowledging;
    private ScheduledExecutorService heartbeats;
    private ScheduledExecutorService maintaining;
    private AutoCloseable appendSubscription;

    public DefaultRelay(RelaySettings settings) {
        this.s = settings;
        this.leases = new LaneLeases(settings, settings.concurrency(), this::wakeAll);
        this.acknowledger = new Acknowledger(settings, () -> {
            // Learn at once which lanes moved, rather than publish them again until the next heartbeat.
            if (running) {
                leases.heartbeatQuietly();
            }
        });
        Worker.Activity activity = new Worker.Activity();
        activity.lastFoundNanos =
                settings.ticker().nanoTime() - settings.frequency().toNanos();
        for (int i = 0; i < settings.concurrency(); i++) {
            int index = i;
            workers.add(new Worker(i, settings.concurrency(), settings, leases, acknowledger, activity, () -> {
                for (Worker other : workers) {
                    if (other.index != index) {
                        other.wake();
                    }
                }
            }));
        }
        this.maintenance = new Maintenance(settings, leases, workers, () -> running);
    }

    // --- lifecycle ------------------------------------------------------------------------------------------------

    @Override
    public void start() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("relay " + s.relayId() + " is closed; build a new one");
            }
            if (started) {
                throw new IllegalStateException("relay " + s.relayId() + " is already started");
            }
            leases.heartbeat();
            try {
                running = true;
                heartbeats = Executors.newSingleThreadScheduledExecutor(named("heartbeat"));
                heartbeats.scheduleWithFixedDelay(
                        leases::heartbeatQuietly,
                        s.heartbeat().toNanos(),
                        s.heartbeat().toNanos(),
                        TimeUnit.NANOSECONDS);
                maintaining = Executors.newSingleThreadScheduledExecutor(named("maintenance"));
                maintaining.scheduleWithFixedDelay(
                        maintenance::run,
                        s.maintenanceInterval().toNanos(),
                        s.maintenanceInterval().toNanos(),
                        TimeUnit.NANOSECONDS);
                acknowledging = named("acknowledger").newThread(acknowledger::run);
                acknowledging.start();
                for (Worker w : workers) {
                    Thread t = named(workers.size() == 1 ? "" : "worker-" + w.index)
                            .newThread(() -> loop(w));
                    loops.add(t);
                    t.start();
                }
                appendSubscription = s.store().onAppend(() -> workers.forEach(Worker::appended));
                started = true;
            } catch (RuntimeException | Error e) {
                // Nothing may stay behind a failed start: no thread, no lane claimed.
                started = true;
                closeLocked();
                throw e;
            }
            log.info(
                    "relay {} started for source {}: {} of {} lanes",
                    s.relayId(),
                    s.source(),
                    leases.current().claims().size(),
                    s.store().lanes());
        }
    }

    private void loop(Worker w) {
        int errors = 0;
        while (running) {
            long wait;
            try {
                wait = w.step(true);
                errors = 0;
            } catch (RuntimeException e) {
                errors++;
                Duration delay = s.backoff().delay(errors);
                log.warn(
                        "relay {}: a round failed ({} in a row), next in {} ms",
                        s.relayId(),
                        errors,
                        delay.toMillis(),
                        e);
                wait = delay.toNanos();
            }
            if (running && !w.await(wait)) {
                return;
            }
        }
    }

    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closeLocked();
        }
    }

    private void closeLocked() {
        closed = true;
        running = false;
        long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
        wakeAll();
        for (Thread t : loops) {
            join(t, deadline);
        }
        // What is in flight settles (or is given up) and what was acknowledged is deleted, so the next owner of the
        // lanes publishes as little again as possible.
        long settleBy = s.ticker().nanoTime()
                + Math.min(SETTLE_WAIT.toNanos(), s.publishTimeout().toNanos());
        for (Worker w : workers) {
            w.finish(settleBy);
        }
        acknowledger.close();
        if (acknowledging != null) {
            join(acknowledging, deadline);
        }
        try {
            acknowledger.flush();
        } catch (RuntimeException e) {
            log.warn("relay {}: could not delete the last acknowledged messages", s.relayId(), e);
        }
        shutdown(heartbeats, "heartbeat", deadline);
        shutdown(maintaining, "maintenance", deadline);
        for (Thread t : threads) {
            if (t != Thread.currentThread()) {
                join(t, deadline);
            }
        }
        if (appendSubscription != null) {
            try {
                appendSubscription.close();
            } catch (Exception e) {
                log.warn("relay {}: closing the wake-up subscription failed", s.relayId(), e);
            }
        }
        try {
            leases.leave();
        } catch (RuntimeException e) {
            log.warn("relay {}: could not give its lanes back (they move when the lease ends)", s.relayId(), e);
        }
        log.info("relay {} closed", s.relayId());
    }

    private ThreadFactory named(String role) {
        String name = "outbox-relay-" + s.relayId() + (role.isEmpty() ? "" : "-" + role);
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            threads.add(t);
            return t;
        };
    }

    private void shutdown(ScheduledExecutorService executor, String role, long deadline) {
        if (executor == null) {
            return;
        }
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                log.warn("relay {}: {} thread did not stop within {}", s.relayId(), role, CLOSE_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void join(Thread t, long deadline) {
        if (t == Thread.currentThread()) {
            return;
        }
        try {
            long wait = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (wait > 0) {
                t.join(wait);
            }
            if (t.isAlive()) {
                log.warn("relay {}: {} did not stop within {}; interrupting it", s.relayId(), t.getName(), CLOSE_WAIT);
                t.interrupt();
                t.join(1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void wakeAll() {
        workers.forEach(Worker::wake);
    }

    @Override
    public String id() {
        return s.relayId();
    }

    @Override
    public Set<Integer> ownedLanes() {
        return new TreeSet<>(leases.current().claims().keySet());
    }

    // --- operator actions ----------------------------------------------------------------------------------------

    @Override
    public List<StoppedLane> stoppedLanes() {
        return s.store().stoppedLanes();
    }

    @Override
    public StoppedLane restart(int lane) {
        checkLane(lane);
        StoppedLane stopped = s.store()
                .restart(lane)
                .orElseThrow(() -> new IllegalArgumentException("lane " + lane + " is not stopped"));
        resumed(lane);
        return stopped;
    }

    @Override
    public ParkedMessage skip(int lane) {
        checkLane(lane);
        ParkedMessage parked = s.store()
                .skip(lane)
                .orElseThrow(() -> new IllegalArgumentException("lane " + lane + " is not stopped"));
        resumed(lane);
        return parked;
    }

    private void checkLane(int lane) {
        if (lane < 0 || lane >= s.store().lanes()) {
            throw new IllegalArgumentException("lane " + lane + " does not exist: lanes are 0 to "
                    + (s.store().lanes() - 1));
        }
    }

    /**
     * The store raised the lane's generation: its owner (this relay or another) sees it at its next heartbeat and
     * tells its monitor once the lane runs again. Only a running relay heartbeats here: a relay built just to run an
     * operator's command must not claim lanes that the working relays would then wait a lease for.
     */
    private void resumed(int lane) {
        log.info("relay {}: lane {} restarted", s.relayId(), lane);
        if (running) {
            leases.heartbeatQuietly();
        }
        wakeAll();
    }

    // --- drainNow ------------------------------------------------------------------------------------------------

    @Override
    public DrainResult drainNow() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("relay " + s.relayId() + " is closed");
            }
        }
        long published = 0;
        int rounds = 0;
        for (Worker w : workers) {
            while (true) {
                if (!running) {
                    leases.heartbeat();
                }
                Worker.Read r = w.drainRound();
                rounds++;
                published += r.acknowledged();
                // A round that published nothing would be followed by an identical one: what failed waits out its
                // backoff, what was fenced belongs to another relay now.
                if (r.fetched() == 0 || r.acknowledged() == 0) {
                    break;
                }
            }
        }
        return new DrainResult(published, rounds, s.store().stoppedLanes());
    }
}
