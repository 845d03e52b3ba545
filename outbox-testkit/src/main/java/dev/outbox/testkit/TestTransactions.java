package dev.outbox.testkit;

import dev.outbox.Message;
import dev.outbox.MessageId;
import dev.outbox.Outbox;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/** Appends in a transaction of its own, committed or rolled back: the two cases an end-to-end test mixes. */
public final class TestTransactions {
    private TestTransactions() {}

    /**
     * Appends {@code messages} in one transaction, then commits it or rolls it back.
     *
     * @return the ids given, or none when rolled back
     */
    public static List<MessageId> append(Jdbi jdbi, Outbox outbox, List<Message> messages, boolean commit) {
        List<MessageId> ids = new ArrayList<>();
        try {
            jdbi.useTransaction(h -> {
                ids.addAll(outbox.in(h.getConnection()).appendAll(messages));
                if (!commit) {
                    throw new RolledBack();
                }
            });
        } catch (RolledBack e) {
            return List.of();
        }
        return ids;
    }

    private static final class RolledBack extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }
}
