package dev.outbox.consumer.dedup.guice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.ProvisionException;
import dev.outbox.InvalidConfigurationException;
import dev.outbox.InvalidMessageException;
import dev.outbox.consumer.dedup.DedupListener;
import dev.outbox.consumer.dedup.DedupTable;
import dev.outbox.consumer.dedup.Deduplicator;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

class DedupModuleTest {
    /** Never connected to: nothing here reaches the database. */
    private static final Jdbi UNUSED = Jdbi.create("jdbc:postgresql://127.0.0.1:1/never");

    private static AbstractModule jdbi() {
        return new AbstractModule() {
            @Override
            protected void configure() {
                bind(Jdbi.class).toInstance(UNUSED);
            }
        };
    }

    @Test
    void bindsTheConsumersDeduplicatorAsASingleton() {
        Injector injector = Guice.createInjector(new DedupModule("billing"), jdbi());

        Deduplicator dedup = injector.getInstance(DedupModule.key("billing"));

        assertThat(dedup.consumer()).isEqualTo("billing");
        assertThat(dedup.processedMessages().table()).isEqualTo(DedupTable.DEFAULT);
        assertThat(injector.getInstance(DedupModule.key("billing"))).isSameAs(dedup);
    }

    @Test
    void installingTwiceIsHarmless() {
        DedupModule module = new DedupModule("billing");

        Injector injector = Guice.createInjector(module, module, new DedupModule("billing"), jdbi());

        assertThat(injector.getInstance(DedupModule.key("billing")).consumer()).isEqualTo("billing");
    }

    @Test
    void modulesOfSeveralConsumersLiveTogether() {
        DedupTable shipping = DedupTable.named("shipping_processed");
        Injector injector =
                Guice.createInjector(new DedupModule("billing"), new DedupModule("shipping", shipping), jdbi());

        assertThat(injector.getInstance(DedupModule.key("billing")).consumer()).isEqualTo("billing");
        assertThat(injector.getInstance(DedupModule.key("shipping"))
                        .processedMessages()
                        .table())
                .isEqualTo(shipping);
    }

    @Test
    void everyBoundListenerHears() {
        List<InvalidMessageException> heard = new CopyOnWriteArrayList<>();
        DedupListener listener = new DedupListener() {
            @Override
            public void rejected(String consumer, InvalidMessageException error) {
                heard.add(error);
            }
        };
        Injector injector = Guice.createInjector(new DedupModule("billing"), jdbi(), new AbstractModule() {
            @Override
            protected void configure() {
                DedupModule.listeners(binder()).addBinding().toInstance(listener);
            }
        });
        Deduplicator dedup = injector.getInstance(DedupModule.key("billing"));

        assertThatThrownBy(() -> dedup.wrap((h, m) -> {}).handle(null)).isInstanceOf(InvalidMessageException.class);
        assertThat(heard).hasSize(1);
    }

    @Test
    void settingsReachTheBuilderAndAreCheckedThere() {
        Injector injector =
                Guice.createInjector(new DedupModule("billing").withSettings(b -> b.retention(Duration.ZERO)), jdbi());

        assertThatThrownBy(() -> injector.getInstance(DedupModule.key("billing")))
                .isInstanceOf(ProvisionException.class)
                .hasRootCauseInstanceOf(InvalidConfigurationException.class)
                .rootCause()
                .hasMessageContaining("retention");
    }

    @Test
    void badArgumentsFailWhereTheModuleIsMade() {
        assertThatThrownBy(() -> new DedupModule(null))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("consumer");
        assertThatThrownBy(() -> new DedupModule("bad name"))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("consumer");
        assertThatThrownBy(() -> new DedupModule("billing", null))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("table");
        assertThatThrownBy(() -> new DedupModule("billing").withSettings(null))
                .isInstanceOf(InvalidConfigurationException.class)
                .hasMessageContaining("settings");
        assertThatThrownBy(() -> DedupModule.key(" ")).isInstanceOf(InvalidConfigurationException.class);
    }
}
