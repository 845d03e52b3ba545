package dev.outbox.broker.kafka.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outbox.broker.kafka.internal.ExactlyOncePublisher.Claim;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ExactlyOncePublisherTest {

    @Test
    void aNewOwnerFencesEveryClaimantSinceTheLastOneKnownToHaveFencedItsPredecessors() {
        List<Claim> history = List.of(
                claim(0, 1, "a", true),
                claim(1, 2, "b", false),
                claim(2, 2, "b", true),
                // c claimed and stopped before it fenced (crashed, or paused): b may still hold an open transaction.
                claim(3, 3, "c", false),
                claim(4, 4, "d", false));

        assertThat(ExactlyOncePublisher.candidates(history, 5))
                .extracting(Claim::owner)
                .containsExactly("b", "b", "c", "d");
        assertThat(ExactlyOncePublisher.candidates(history, 3))
                .extracting(Claim::owner)
                .containsExactly("b", "b");
        // Nothing known to be fenced: every earlier claimant.
        assertThat(ExactlyOncePublisher.candidates(history.subList(3, 5), 5))
                .extracting(Claim::owner)
                .containsExactly("c", "d");
        assertThat(ExactlyOncePublisher.candidates(List.of(), 1)).isEmpty();
    }

    @Test
    void positionsCarryTheExactIdsNotARange() {
        String value = ExactlyOncePublisher.positionValue(7, List.of(12L, 10L, 15L));
        assertThat(value).isEqualTo("e=7 ids=12,10,15");
        ExactlyOncePublisher.Position p = ExactlyOncePublisher.parsePosition(value.getBytes(StandardCharsets.UTF_8))
                .orElseThrow();
        assertThat(p.epoch()).isEqualTo(7);
        // 11, 13 and 14 lie between them and were not delivered by this batch: a gap stays a gap.
        assertThat(p.ids()).isEqualTo(Set.of(10L, 12L, 15L));
        assertThat(ExactlyOncePublisher.parsePosition("garbage".getBytes(StandardCharsets.UTF_8)))
                .isEmpty();
    }

    @Test
    void claimsRoundTripAndForeignRecordsAreIgnored() {
        Claim c = ExactlyOncePublisher.parseClaim(
                        3, "lane=5 e=9 owner=outbox-1a2b n=4 done=1".getBytes(StandardCharsets.UTF_8))
                .orElseThrow();
        assertThat(c).isEqualTo(new Claim(3, 5, 9, "outbox-1a2b", 4, true));
        assertThat(ExactlyOncePublisher.parseClaim(4, "hello".getBytes(StandardCharsets.UTF_8)))
                .isEmpty();
        assertThat(ExactlyOncePublisher.parseClaim(5, null)).isEmpty();
    }

    private static Claim claim(long offset, long epoch, String owner, boolean done) {
        return new Claim(offset, 0, epoch, owner, 4, done);
    }
}
