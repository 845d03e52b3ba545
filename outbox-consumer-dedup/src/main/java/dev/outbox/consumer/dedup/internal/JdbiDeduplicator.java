package dev.outbox.consumer.dedup.internal;

import dev.outbox.IncomingMessage;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import dev.outbox.MessageHandler;
import dev.outbox.MessageId;
import dev.outbox.StoreException;
import dev.outbox.TransactionAbortedException;
import dev.outbox.TransactionRequiredException;
import dev.outbox.consumer.dedup.CleanupResult;
import dev.outbox.consumer.dedup.DedupListener;
import dev.outbox.consumer.dedup.Deduplicator;
import dev.outbox.consumer.dedup.ProcessedMessages;
import dev.outbox.consumer.dedup.TransactionalHandler;
import dev.outbox.postgres.Migration;
import dev.outbox.postgres.Transactions;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.JdbiException;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deduplicator on JDBI and PostgreSQL. Wrapped handlers hold no state of their own: each delivery is one
 * transaction. The only thread is the optional cleanup task, guarded by {@link #lifecycle}.
 */
public final class JdbiDeduplicator implements Deduplicator {
    private static final Logger log = LoggerFactory.getLogger(JdbiDeduplicator.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

    private final DedupSettings s;
    private final ProcessedMessageTable table;
    private final ProcessedMessages processedMessages;
    private final DedupListener listener;
    private final Object lifecycle = new Object();

    // Guarded by lifecycle; closed is also read, without the lock, between cleanup batches.
    private ScheduledExecutorService cleaner;
    private volatile boolean closed;

    /** A deduplicator with validated {@code settings}; starts nothing. */
    public JdbiDeduplicator(DedupSettings settings) {
        this.s = settings;
        this.table = new ProcessedMessageTable(settings.jdbi(), settings.table(), settings.clock());
        this.processedMessages = ProcessedMessages.create(settings.jdbi(), settings.table(), settings.clock());
        // A failing listener must never turn a committed message into a retry, so every call goes through all().
        this.listener = DedupListener.all(List.of(settings.listener()));
    }

    @Override
    public String consumer() {
        return s.consumer();
    }

    @Override
    public ProcessedMessages processedMessages() {
        return processedMessages;
    }

    @Override
    public MessageHandler wrap(TransactionalHandler handler) {
        if (handler == null) {
            throw new InvalidConfigurationException("handler must not be null");
        }
        return new Wrapped(handler);
    }

    @Override
    public List<Migration> migrate() {
        return table.migrate();
    }

    @Override
    public CleanupResult cleanupNow() {
        return cleanup(() -> true);
    }

    @Override
    public void startCleanup() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("deduplicator of consumer " + s.consumer() + " is closed");
            }
            if (cleaner != null) {
                throw new IllegalStateException("cleanup of consumer " + s.consumer() + " was started already");
            }
            cleaner = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "outbox-dedup-cleanup-" + s.consumer());
                // Deleting old records is never worth keeping a JVM alive for; close() still stops it.
                t.setDaemon(true);
                return t;
            });
            long every = s.cleanupInterval().toMillis();
            cleaner.scheduleWithFixedDelay(this::scheduledPass, every, every, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void close() {
        ScheduledExecutorService running;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            running = cleaner;
        }
        if (running == null) {
            return;
        }
        running.shutdown();
        try {
            if (!running.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn(
                        "dedup cleanup of consumer {} did not stop within {}; interrupting it",
                        s.consumer(),
                        CLOSE_WAIT);
                running.shutdownNow();
            }
        } catch (InterruptedException e) {
            running.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private void scheduledPass() {
        try {
            cleanup(() -> !closed);
        } catch (RuntimeException e) {
            // Already reported; thrown out of here it would cancel every later pass.
            log.warn("dedup cleanup of consumer {} failed; trying again in {}", s.consumer(), s.cleanupInterval(), e);
        }
    }

    private CleanupResult cleanup(java.util.function.BooleanSupplier keepGoing) {
        try {
            CleanupResult result =
                    table.deleteOlderThan(s.consumer(), table.cutoff(s.retention()), s.cleanupBatchSize(), keepGoing);
            log.debug("dedup cleanup: {}", result);
            listener.cleaned(result);
            return result;
        } catch (RuntimeException e) {
            listener.cleanupFailed(s.consumer(), e);
            throw e;
        }
    }

    private void handle(TransactionalHandler handler, IncomingMessage message) {
        String source;
        MessageId id;
        try {
            if (message == null) {
                throw new InvalidMessageException("message must not be null");
            }
            source = Checks.source(message.source());
            id = Checks.messageId(message.messageId());
        } catch (InvalidMessageException e) {
            listener.rejected(s.consumer(), e);
            throw e;
        }
        long start = System.nanoTime();
        boolean processed;
        try {
            processed = inTransaction(h -> {
                if (!table.record(h, s.consumer(), source, id)) {
                    return false;
                }
                try {
                    handler.handle(h, message);
                } catch (RuntimeException e) {
                    throw new HandlerFailure(e);
                }
                if (!h.isInTransaction()) {
                    // Jdbi carries on in auto-commit after a handler's own commit or rollback, so the record and the
                    // writes may no longer commit together: refuse to acknowledge, and let the redelivery sort it out.
                    throw new HandlerFailure(new TransactionRequiredException("the handler of consumer "
                            + s.consumer() + " ended the transaction of message " + source + "/" + id
                            + " itself; a TransactionalHandler must not commit, roll back or close its handle"));
                }
                if (aborted(h)) {
                    // A statement of the handler failed and the handler carried on: PostgreSQL would turn the commit
                    // into a rollback without an error, and the message would be acknowledged with nothing stored.
                    throw new HandlerFailure(new TransactionAbortedException("the handler of consumer "
                            + s.consumer() + " returned normally, but a statement of it failed and PostgreSQL aborted"
                            + " the transaction of message " + source + "/" + id + ": nothing of it can be committed,"
                            + " so it is rolled back and the message retried. Let the SQL exception out of the"
                            + " handler, or roll back to a savepoint before going on"));
                }
                return true;
            });
        } catch (HandlerFailure f) {
            RuntimeException cause = f.handlerException();
            listener.failed(s.consumer(), message, cause);
            throw cause;
        } catch (StoreException e) {
            listener.failed(s.consumer(), message, e);
            throw e;
        } catch (JdbiException e) {
            // Opening, committing or rolling back the transaction failed: nothing is known to be committed, so the
            // subscriber must retry; the retry finds the record if the commit did happen.
            StoreException failure = new StoreException(
                    "transaction of message " + source + "/" + id + " for consumer " + s.consumer() + " failed: "
                            + e.getMessage(),
                    e);
            listener.failed(s.consumer(), message, failure);
            throw failure;
        }
        if (processed) {
            listener.processed(s.consumer(), message, Duration.ofNanos(System.nanoTime() - start));
        } else {
            log.debug("consumer {} skipped duplicate message {}/{}", s.consumer(), source, id);
            listener.skipped(s.consumer(), message);
        }
    }

    @Override
    public String toString() {
        return "Deduplicator[" + s.consumer() + " on " + s.table().qualifiedName() + "]";
    }

    private final class Wrapped implements MessageHandler {
        private final TransactionalHandler handler;

        Wrapped(TransactionalHandler handler) {
            this.handler = handler;
        }

        @Override
        public void handle(IncomingMessage message) {
            JdbiDeduplicator.this.handle(handler, message);
        }

        @Override
        public String toString() {
            return "deduplicated(" + s.consumer() + ", " + handler + ")";
        }
    }

    /**
     * Carries the handler's exception through the transaction, so that it is told apart from the database's and
     * rethrown unchanged.
     */
    private static final class HandlerFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        HandlerFailure(RuntimeException cause) {
            super(null, cause, true, false);
        }

        RuntimeException handlerException() {
            RuntimeException cause = (RuntimeException) getCause();
            // Jdbi attaches a failed rollback to the exception it saw, which is this carrier.
            for (Throwable t : getSuppressed()) {
                cause.addSuppressed(t);
            }
            return cause;
        }
    }

    private boolean aborted(Handle h) {
        try {
            return Transactions.isAborted(h.getConnection());
        } catch (SQLException e) {
            throw new StoreException(
                    "could not read the state of the transaction of consumer " + s.consumer() + ": " + e.getMessage(),
                    e);
        }
    }

    /**
     * A transaction at the configured isolation. At the connection's own level (read committed, PostgreSQL's
     * default) the level is left alone: setting it and restoring it would cost two round trips per message.
     */
    private <R> R inTransaction(org.jdbi.v3.core.HandleCallback<R, RuntimeException> work) {
        if (s.isolation() == TransactionIsolationLevel.READ_COMMITTED) {
            return s.jdbi().inTransaction(work);
        }
        return s.jdbi().inTransaction(s.isolation(), work);
    }
}
