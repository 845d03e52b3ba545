/**
 * What the modules that keep tables in PostgreSQL ({@code outbox-store-jdbi}, {@code outbox-consumer-dedup}) share, on
 * plain JDBC so that it serves JDBI, Spring's templates or a bare connection alike:
 *
 * <ul>
 *   <li>one rule for the names written into SQL text, derived names included ({@link dev.outbox.postgres.Identifiers},
 *       {@link dev.outbox.postgres.Names});
 *   <li>one migration runner: versioned files, one placeholder syntax, one version table ({@link
 *       dev.outbox.postgres.MigrationRunner});
 *   <li>whether a transaction was aborted by a failed statement ({@link dev.outbox.postgres.Transactions}).
 * </ul>
 *
 * <p>It lives in a module of its own rather than in {@code outbox-core}, which knows no database, and rather than in
 * one of the two adapters, which must not depend on each other.
 */
package dev.outbox.postgres;
