package dev.outbox.store.jdbi.internal;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.ColonPrefixSqlParser;
import org.jdbi.v3.core.statement.SqlParser;
import org.jdbi.v3.core.statement.SqlStatements;
import org.jdbi.v3.core.statement.TemplateEngine;

/**
 * The caller's {@link Jdbi} as the store uses it: its connections, and its handles with the store's own statement
 * settings (Jdbi's plain {@code :name} parser and no template engine) whatever the caller configured, so that a
 * template engine or a {@code #name} parser set for the application's SQL cannot rewrite or break the store's. The
 * settings are restored when the callback ends, because Jdbi hands a nested call the handle already open on the
 * thread, which may be the caller's. Thread-safe.
 */
public final class IsolatedJdbi {
    /** One parser for every statement: it caches what it parsed, so a round does not parse its SQL again. */
    private static final ColonPrefixSqlParser PARSER = new ColonPrefixSqlParser();

    private final Jdbi jdbi;

    public IsolatedJdbi(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** {@link Jdbi#withHandle}, with the store's statement settings. */
    public <R, X extends Exception> R withHandle(HandleCallback<R, X> callback) throws X {
        return jdbi.withHandle(h -> isolated(h, callback));
    }

    /** {@link Jdbi#inTransaction(HandleCallback)}, with the store's statement settings. */
    public <R, X extends Exception> R inTransaction(HandleCallback<R, X> callback) throws X {
        return jdbi.inTransaction(h -> isolated(h, callback));
    }

    /** The caller's Jdbi, for what needs it unchanged (a listening connection). */
    public Jdbi jdbi() {
        return jdbi;
    }

    private static <R, X extends Exception> R isolated(Handle h, HandleCallback<R, X> callback) throws X {
        SqlStatements statements = h.getConfig(SqlStatements.class);
        SqlParser parser = statements.getSqlParser();
        TemplateEngine engine = statements.getTemplateEngine();
        statements.setSqlParser(PARSER).setTemplateEngine(TemplateEngine.NOP);
        try {
            return callback.withHandle(h);
        } finally {
            statements.setSqlParser(parser).setTemplateEngine(engine);
        }
    }
}
