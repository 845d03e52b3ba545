package dev.outbox.guice;

import com.google.inject.Binding;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.multibindings.OptionalBinder;
import dev.outbox.spi.Validation;
import java.util.Optional;

/**
 * How Outbox's Guice modules read the bindings they can do without. Every Outbox module is a {@link
 * com.google.inject.PrivateModule}, and a private module cannot declare an {@link OptionalBinder} for a key that the
 * application or another module may set, because Guice does not merge an optional binding declared inside a private
 * module with one set outside it. So the modules look the key up instead: an optional input may be bound directly
 * ({@code bind(Clock.class).toInstance(clock)}), set with {@link OptionalBinder}, or exposed by another private module,
 * and all three are found.
 */
public final class OptionalBindings {
    private OptionalBindings() {}

    /**
     * The instance bound to {@code key} in {@code injector} or one of its parents, or empty when nothing binds it. Never
     * creates a just-in-time binding, so an unbound concrete class is empty too.
     *
     * @throws dev.outbox.InvalidConfigurationException if an argument is null
     */
    public static <T> Optional<T> get(Injector injector, Key<T> key) {
        Validation.notNull(injector, "injector");
        Validation.notNull(key, "key");
        Binding<T> binding = injector.getExistingBinding(key);
        return binding == null
                ? Optional.empty()
                : Optional.ofNullable(binding.getProvider().get());
    }
}
