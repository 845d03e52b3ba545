/**
 * In-memory fakes of the ports for the core's fast tests: a {@link dev.outbox.fake.FakeMessageStore} that keeps the
 * store's contract (lanes, epochs, fencing, stopped lanes) and a scriptable, recording {@link
 * dev.outbox.fake.FakeBroker}. Test scope only; adapters are tested against the real services.
 */
package dev.outbox.fake;
