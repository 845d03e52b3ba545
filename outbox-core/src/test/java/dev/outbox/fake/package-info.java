/**
 * Fakes of the ports for the core's fast tests: a scriptable, recording {@link dev.outbox.fake.FakeBroker}. The store's
 * stand-in is the public {@link dev.outbox.memory.InMemoryMessageStore}, checked against the store contract, and the
 * monitor's the public {@link dev.outbox.memory.RecordingMonitor}. Test
 * scope only; adapters are tested against the real services.
 */
package dev.outbox.fake;
