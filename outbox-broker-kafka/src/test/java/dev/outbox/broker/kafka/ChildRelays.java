package dev.outbox.broker.kafka;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit extension that starts {@link ChildRelay}s for a test and kills every one of them after it, whether it passed
 * or failed.
 *
 * <pre>{@code
 * @RegisterExtension
 * final ChildRelays relays = new ChildRelays();
 *
 * ChildRelay a = relays.start(ChildRelay.Spec.of(environment, "relay-a").exactlyOnce(true));
 * }</pre>
 */
final class ChildRelays implements AfterEachCallback {
    private final List<ChildRelay> started = new CopyOnWriteArrayList<>();

    /** Starts a child relay (see {@link ChildRelay#start}), killed after the test. */
    ChildRelay start(ChildRelay.Spec spec) {
        ChildRelay child = ChildRelay.start(spec);
        started.add(child);
        return child;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        RuntimeException first = null;
        for (ChildRelay child : started) {
            try {
                child.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        started.clear();
        if (first != null) {
            throw first;
        }
    }
}
