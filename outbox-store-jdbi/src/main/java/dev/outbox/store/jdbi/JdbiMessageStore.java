package dev.outbox.store.jdbi;

import dev.outbox.InvalidConfigurationException;
import dev.outbox.LaneBacklog;
import dev.outbox.LaneStatus;
import dev.outbox.MessageId;
import dev.outbox.ParkedMessage;
import dev.outbox.StoppedLane;
import dev.outbox.StoreException;
import dev.outbox.TransactionAbortedException;
import dev.outbox.TransactionRequiredException;
import dev.outbox.postgres.Migration;
import dev.outbox.postgres.MigrationRunner;
import dev.outbox.postgres.Transactions;
import dev.outbox.spi.FetchRequest;
import dev.outbox.spi.Fetched;
import dev.outbox.spi.LaneAssignment;
import dev.outbox.spi.LaneClaim;
import dev.outbox.spi.LaneCursor;
import dev.outbox.spi.MessageStore;
import dev.outbox.spi.NewMessage;
import dev.outbox.spi.StoredMessage;
import dev.outbox.store.jdbi.internal.AppendListener;
import dev.outbox.store.jdbi.internal.IsolatedJdbi;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/**
 * The PostgreSQL {@link MessageStore}, on JDBI 3.
 *
 * <p>Appends go through the caller's JDBC connection (its transaction); everything else uses connections from the
 * given {@link Jdbi}, so give it a pooled data source. Create the tables with {@link #migrate()} or paste {@link
 * #migrationScript()} into your migration tool.
 *
 * <p>Lane ownership: each relay heartbeats a row of its own, renews a lease on its lanes and claims free or expired
 * lanes up to {@code ceil(lanes / live relays)}. Claiming a lane raises its epoch, and every write of a relay for a
 * lane names the epoch it holds, so a relay that lost a lane (paused past its lease) can no longer delete or mark its
 * rows.
 *
 * <p>Thread-safe.
 */
public final class JdbiMessageStore implements MessageStore {
    /** The least time a heartbeat's transaction may sit idle before the server ends it: see {@link #heartbeat}. */
    private static final Duration FROZEN_HEARTBEAT_FLOOR = Duration.ofSeconds(10);

    private final IsolatedJdbi jdbi;
    private final JdbiStoreConfig config;
    private final MigrationRunner migrations;
    private final String message;
    private final String lane;
    private final String relay;
    private final String stopped;
    private final String parked;
    private final String insertSql;
    private final String insertNotifySql;
    private final PositionReader reader;
    private volatile boolean lanesChecked;

    private JdbiMessageStore(Jdbi jdbi, JdbiStoreConfig config) {
        this.jdbi = new IsolatedJdbi(jdbi);
        this.config = config;
        this.migrations = Migrations.of(config.names(), config.lanes());
        this.message = config.table("message");
        this.lane = config.table("lane");
        this.relay = config.table("relay");
        this.stopped = config.table("stopped_lane");
        this.parked = config.table("parked_message");
        this.reader = new PositionReader(message, COLUMNS);
        String insert = "insert into " + message
                + " (lane, topic, partition_key, type, content_type, header_names, header_values, payload)"
                + " values (?, ?, ?, ?, ?, ?, ?, ?) returning id";
        this.insertSql = insert;
        // One round trip for the common single-message append: the notification rides on the insert.
        this.insertNotifySql = "with ins as (" + insert + ") select ins.id from ins, pg_notify(?, '') n";
    }

    /**
     * A store with the given settings.
     *
     * @param jdbi connections for the relay's and operators' statements; pooled in production
     */
    public static JdbiMessageStore create(Jdbi jdbi, JdbiStoreConfig config) {
        if (jdbi == null) {
            throw new InvalidConfigurationException("jdbi must not be null");
        }
        if (config == null) {
            throw new InvalidConfigurationException("config must not be null");
        }
        return new JdbiMessageStore(jdbi, config);
    }

    /** A store with {@link JdbiStoreConfig#defaults()}. */
    public static JdbiMessageStore create(Jdbi jdbi) {
        return create(jdbi, JdbiStoreConfig.defaults());
    }

    /** The settings. */
    public JdbiStoreConfig config() {
        return config;
    }

    /**
     * Creates or upgrades the store's tables to the version this library ships: creates the schema if it is missing,
     * then applies the migrations its version table ({@code <prefix>_schema_version}) does not record. Safe to call
     * from several processes at once (an advisory lock serialises them) and when nothing is left to do.
     *
     * @return the migrations this call applied, empty when the tables were up to date
     * @throws InvalidConfigurationException if the tables exist with a different lane count
     * @throws StoreException if the database refuses
     */
    public List<Migration> migrate() {
        List<Migration> applied = sql("migrate", () -> jdbi.withHandle(h -> migrations.migrate(h.getConnection())));
        checkLanes();
        return applied;
    }

    /**
     * The SQL {@link #migrate()} runs, as one script, for Flyway, Liquibase or a DBA: the schema when one is
     * configured, then every version.
     */
    public String migrationScript() {
        return "-- Outbox store schema for " + config.names() + ", " + config.lanes() + " lanes.\n"
                + migrations.script();
    }

    @Override
    public int lanes() {
        return config.lanes();
    }

    // --- append -----------------------------------------------------------------------------------------------

    @Override
    public List<MessageId> append(Connection transaction, List<NewMessage> messages) {
        try {
            if (transaction.isClosed()) {
                throw new TransactionRequiredException("the connection is closed: append inside an open transaction");
            }
            if (transaction.getAutoCommit()) {
                throw new TransactionRequiredException("the connection is in auto-commit mode: append inside the"
                        + " transaction of your business writes, so the message is stored only if they commit");
            }
            if (Transactions.isAborted(transaction)) {
                throw new TransactionAbortedException("cannot append: an earlier statement of this transaction failed"
                        + " and PostgreSQL aborted it, so it can only roll back (a commit would silently roll back"
                        + " your business writes too); roll it back and run the unit of work again");
            }
        } catch (SQLException e) {
            throw new StoreException("could not inspect the connection's transaction state", e);
        }
        if (!lanesChecked) {
            checkLanes();
        }
        for (NewMessage m : messages) {
            if (m.lane() >= config.lanes()) {
                throw new IllegalArgumentException("lane " + m.lane() + " is out of range 0.." + (config.lanes() - 1));
            }
        }
        try {
            if (messages.size() == 1) {
                return List.of(appendOne(transaction, messages.get(0)));
            }
            return appendMany(transaction, messages);
        } catch (SQLException e) {
            throw new StoreException(
                    "could not append " + messages.size() + " message(s) to " + message + "; roll the transaction back",
                    e);
        }
    }

    private MessageId appendOne(Connection c, NewMessage m) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(config.notifyOnAppend() ? insertNotifySql : insertSql)) {
            bindInsert(c, ps, m);
            if (config.notifyOnAppend()) {
                ps.setString(9, config.channel());
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new MessageId(rs.getLong(1));
            }
        }
    }

    private List<MessageId> appendMany(Connection c, List<NewMessage> messages) throws SQLException {
        List<MessageId> ids = new ArrayList<>(messages.size());
        try (PreparedStatement ps = c.prepareStatement(insertSql.replace(" returning id", ""), new String[] {"id"})) {
            for (NewMessage m : messages) {
                bindInsert(c, ps, m);
                ps.addBatch();
            }
            ps.executeBatch();
            try (ResultSet rs = ps.getGeneratedKeys()) {
                while (rs.next()) {
                    ids.add(new MessageId(rs.getLong(1)));
                }
            }
        }
        if (config.notifyOnAppend()) {
            try (PreparedStatement ps = c.prepareStatement("select pg_notify(?, '')")) {
                ps.setString(1, config.channel());
                ps.execute();
            }
        }
        return ids;
    }

    private static void bindInsert(Connection c, PreparedStatement ps, NewMessage nm) throws SQLException {
        var m = nm.message();
        ps.setInt(1, nm.lane());
        ps.setString(2, m.topic());
        ps.setString(3, m.key());
        ps.setString(4, m.type());
        ps.setString(5, m.contentType());
        String[] names = m.headers().keySet().toArray(String[]::new);
        String[] values = new String[names.length];
        for (int i = 0; i < names.length; i++) {
            values[i] = m.headers().get(names[i]);
        }
        ps.setArray(6, c.createArrayOf("text", names));
        ps.setArray(7, c.createArrayOf("text", values));
        ps.setBytes(8, m.payload());
    }

    @Override
    public List<StoredMessage> peek(Connection transaction, int limit) {
        String sql = "select " + COLUMNS + " from " + message + " where sent_at is null order by id limit ?";
        try (PreparedStatement ps = transaction.prepareStatement(sql)) {
            ps.setInt(1, limit);
            List<StoredMessage> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(stored(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("could not read " + message, e);
        }
    }

    // --- relay ------------------------------------------------------------------------------------------------

    @Override
    public LaneAssignment heartbeat(String relayId, Duration lease) {
        if (!lanesChecked) {
            checkLanes();
        }
        double leaseSeconds = lease.toMillis() / 1000.0;
        return sql(
                "heartbeat",
                () -> jdbi.inTransaction(h -> {
                    // A relay frozen in the middle of this transaction (a pause, a stopped process, a VM that hangs)
                    // holds its locks only as long as its lease, and at least FROZEN_HEARTBEAT_FLOOR (a heartbeat takes
                    // milliseconds between its statements, a machine under load more): then the server ends it.
                    h.createQuery("select set_config('idle_in_transaction_session_timeout', ?, true)")
                            .bind(0, Long.toString(Math.max(FROZEN_HEARTBEAT_FLOOR.toMillis(), lease.toMillis())))
                            .mapTo(String.class)
                            .one();
                    // The lease lives on the relay's own row: lane rows change only when lanes change hands, so a
                    // long transaction elsewhere does not make them pile up dead versions every second.
                    h.createUpdate("insert into " + relay + " (id, heartbeat_at, lease_until)"
                                    + " values (?, now(), now() + make_interval(secs => ?))"
                                    + " on conflict (id) do update set heartbeat_at = excluded.heartbeat_at,"
                                    + " lease_until = excluded.lease_until")
                            .bind(0, relayId)
                            .bind(1, leaseSeconds)
                            .execute();
                    // A relay whose lease ran out is gone: forget it, so its lanes are free and the others' fair
                    // share grows back.
                    // Skipping the row of one still in its own heartbeat (frozen in it, say): waiting for it would
                    // freeze this relay too.
                    h.createUpdate("delete from " + relay + " where id in (select id from " + relay
                                    + " where lease_until < now() for update skip locked)")
                            .execute();
                    int live = Math.max(
                            1,
                            h.createQuery("select count(*) from " + relay + " where lease_until >= now()")
                                    .mapTo(Integer.class)
                                    .one());
                    int fair = (config.lanes() + live - 1) / live;
                    int mine = h.createQuery("select count(*) from " + lane + " where owner = ?")
                            .bind(0, relayId)
                            .mapTo(Integer.class)
                            .one();
                    if (mine < fair) {
                        h.createUpdate("update " + lane + " set owner = ?, epoch = epoch + 1 where lane in (select"
                                        + " f.lane from " + lane + " f where f.owner is null or not exists (select 1"
                                        + " from " + relay + " r where r.id = f.owner and r.lease_until >= now())"
                                        + " order by f.lane limit ? for update skip locked)")
                                .bind(0, relayId)
                                .bind(1, fair - mine)
                                .execute();
                    }
                    List<LaneClaim> claims = h.createQuery("select l.lane, l.epoch, s.lane is not null as stopped,"
                                    + " l.generation from " + lane + " l left join " + stopped
                                    + " s on s.lane = l.lane where l.owner = ? order by l.lane")
                            .bind(0, relayId)
                            .map((rs, ctx) ->
                                    new LaneClaim(rs.getInt(1), rs.getLong(2), rs.getBoolean(3), rs.getLong(4)))
                            .list();
                    return new LaneAssignment(claims, fair, live);
                }));
    }

    @Override
    public void release(String relayId, Collection<Integer> lanes) {
        if (lanes.isEmpty()) {
            return;
        }
        sql(
                "release lanes",
                () -> jdbi.withHandle(
                        h -> h.createUpdate("update " + lane + " set owner = null where owner = ? and lane = any(?)")
                                .bind(0, relayId)
                                .bindArray(1, Integer.class, lanes)
                                .execute()));
    }

    @Override
    public void leave(String relayId) {
        sql(
                "leave",
                () -> jdbi.inTransaction(h -> {
                    h.createUpdate("update " + lane + " set owner = null where owner = ?")
                            .bind(0, relayId)
                            .execute();
                    return h.createUpdate("delete from " + relay + " where id = ?")
                            .bind(0, relayId)
                            .execute();
                }));
    }

    @Override
    public Fetched fetch(FetchRequest request) {
        if (request.lanes().isEmpty()) {
            return new Fetched(List.of(), request.since(), 0, true);
        }
        for (LaneCursor c : request.lanes()) {
            if (c.lane() >= config.lanes()) {
                throw new IllegalArgumentException("lane " + c.lane() + " is out of range 0.." + (config.lanes() - 1));
            }
        }
        return sql(
                "fetch",
                () -> jdbi.inTransaction(h -> {
                    try {
                        return reader.fetch(h, request);
                    } catch (SQLException e) {
                        throw new UnableToExecuteStatementException(e, null);
                    }
                }));
    }

    @Override
    public int acknowledge(String relayId, Collection<LaneClaim> claims, Collection<MessageId> ids) {
        if (ids.isEmpty() || claims.isEmpty()) {
            return 0;
        }
        // The lanes still held under the claimed epochs are found once, then each id by its primary key.
        String held = "(select l.lane from " + lane + " l join unnest(cast(? as int[]), cast(? as bigint[]))"
                + " as c(lane, epoch) on c.lane = l.lane and c.epoch = l.epoch where l.owner = ?) held";
        String sql = config.retention().isPresent()
                ? "update " + message + " m set sent_at = now() from " + held
                        + " where m.id = any(?) and m.lane = held.lane and m.sent_at is null"
                : "delete from " + message + " m using " + held + " where m.id = any(?) and m.lane = held.lane";
        return sql(
                "acknowledge",
                () -> jdbi.withHandle(h -> h.createUpdate(sql)
                        .bindArray(
                                0,
                                Integer.class,
                                claims.stream().map(LaneClaim::lane).toList())
                        .bindArray(
                                1,
                                Long.class,
                                claims.stream().map(LaneClaim::epoch).toList())
                        .bind(2, relayId)
                        .bindArray(
                                3,
                                Long.class,
                                ids.stream().map(MessageId::value).toList())
                        .execute()));
    }

    @Override
    public void recordFailure(String relayId, LaneClaim claim, MessageId id, String error) {
        sql("record a failure", () -> jdbi.withHandle(h -> recordFailure(h, relayId, claim, id, error)));
    }

    private int recordFailure(Handle h, String relayId, LaneClaim claim, MessageId id, String error) {
        return h.createUpdate("update " + message + " m set attempts = m.attempts + 1, last_error = :error from "
                        + lane + " l where m.id = :id and l.lane = m.lane and l.lane = :lane and l.epoch = :epoch"
                        + " and l.owner = :relay")
                .bind("error", error)
                .bind("id", id.value())
                .bind("lane", claim.lane())
                .bind("epoch", claim.epoch())
                .bind("relay", relayId)
                .execute();
    }

    @Override
    public Optional<StoppedLane> stop(String relayId, LaneClaim claim, StoredMessage head, String reason) {
        return sql(
                "stop lane " + claim.lane(),
                () -> jdbi.inTransaction(h -> {
                    if (recordFailure(h, relayId, claim, head.id(), reason) == 0) {
                        return Optional.<StoppedLane>empty();
                    }
                    return h.createQuery("insert into " + stopped
                                    + " (lane, message_id, topic, reason, attempts) values (:lane, :id, :topic, :reason,"
                                    + " :attempts) on conflict (lane) do nothing"
                                    + " returning lane, message_id, topic, reason, attempts, stopped_at")
                            .bind("lane", claim.lane())
                            .bind("id", head.id().value())
                            .bind("topic", head.topic())
                            .bind("reason", reason)
                            .bind("attempts", head.attempts() + 1)
                            .map((rs, ctx) -> stoppedLane(rs))
                            .findOne();
                }));
    }

    // --- operators --------------------------------------------------------------------------------------------

    @Override
    public List<StoppedLane> stoppedLanes() {
        return sql(
                "list stopped lanes",
                () -> jdbi.withHandle(
                        h -> h.createQuery("select lane, message_id, topic, reason, attempts, stopped_at from "
                                        + stopped + " order by lane")
                                .map((rs, ctx) -> stoppedLane(rs))
                                .list()));
    }

    @Override
    public Optional<StoppedLane> restart(int laneNumber) {
        return sql(
                "restart lane " + laneNumber,
                () -> jdbi.inTransaction(h -> {
                    Optional<StoppedLane> removed = removeStop(h, laneNumber);
                    removed.ifPresent(s -> h.createUpdate("update " + message + " set attempts = 0 where id = :id")
                            .bind("id", s.messageId().value())
                            .execute());
                    return removed;
                }));
    }

    @Override
    public Optional<ParkedMessage> skip(int laneNumber) {
        return sql(
                "skip the head of lane " + laneNumber,
                () -> jdbi.inTransaction(h -> {
                    Optional<StoppedLane> removed = removeStop(h, laneNumber);
                    if (removed.isEmpty()) {
                        return Optional.<ParkedMessage>empty();
                    }
                    StoppedLane s = removed.get();
                    Optional<ParkedMessage> moved = h.createQuery("with moved as (delete from " + message
                                    + " where id = :id returning *) insert into " + parked
                                    + " (id, lane, topic, partition_key, type, content_type, header_names, header_values,"
                                    + " payload, created_at, attempts, last_error, reason)"
                                    + " select id, lane, topic, partition_key, type, content_type, header_names,"
                                    + " header_values, payload, created_at, attempts, last_error, :reason from moved"
                                    + " returning id, lane, topic, type, reason, parked_at")
                            .bind("id", s.messageId().value())
                            .bind("reason", s.reason())
                            .map((rs, ctx) -> parkedMessage(rs))
                            .findOne();
                    // The head may have gone meanwhile (replayed elsewhere); the lane is restarted all the same.
                    return Optional.of(moved.orElse(new ParkedMessage(
                            s.messageId(), laneNumber, s.topic(), "(gone)", s.reason(), Instant.now())));
                }));
    }

    /** Removes a lane's stop record and raises its generation, so its relay knows the lane runs again. */
    private Optional<StoppedLane> removeStop(Handle h, int laneNumber) {
        Optional<StoppedLane> removed = h.createQuery("delete from " + stopped + " where lane = :lane"
                        + " returning lane, message_id, topic, reason, attempts, stopped_at")
                .bind("lane", laneNumber)
                .map((rs, ctx) -> stoppedLane(rs))
                .findOne();
        if (removed.isPresent()) {
            h.createUpdate("update " + lane + " set generation = generation + 1 where lane = ?")
                    .bind(0, laneNumber)
                    .execute();
        }
        return removed;
    }

    @Override
    public List<ParkedMessage> parked() {
        return sql(
                "list parked messages",
                () -> jdbi.withHandle(h -> h.createQuery("select id, lane, topic, type, reason, parked_at from "
                                + parked + " order by parked_at, id")
                        .map((rs, ctx) -> parkedMessage(rs))
                        .list()));
    }

    @Override
    public boolean replay(MessageId id) {
        return sql(
                "replay message " + id,
                () -> jdbi.withHandle(h -> h.createUpdate("with moved as (delete from "
                                        + parked + " where id = :id returning *) insert into " + message
                                        + " (id, lane, topic, partition_key, type, content_type, header_names,"
                                        + " header_values, payload, created_at)"
                                        + " select id, lane, topic, partition_key, type, content_type, header_names,"
                                        + " header_values, payload, created_at from moved")
                                .bind("id", id.value())
                                .execute())
                        > 0);
    }

    @Override
    public List<LaneStatus> status() {
        return sql(
                "read lane status",
                () -> jdbi.withHandle(h -> h.createQuery("select l.lane,"
                                + " coalesce(b.backlog, 0) as backlog,"
                                + " (extract(epoch from now() - b.oldest) * 1000)::bigint as oldest_ms,"
                                + " r.id as owner,"
                                + " s.message_id, s.topic, s.reason, s.attempts, s.stopped_at"
                                + " from " + lane + " l"
                                + " left join (select lane, count(*) as backlog, min(created_at) as oldest from "
                                + message
                                + " where sent_at is null group by lane) b on b.lane = l.lane"
                                + " left join " + relay + " r on r.id = l.owner and r.lease_until > now()"
                                + " left join " + stopped + " s on s.lane = l.lane order by l.lane")
                        .map((rs, ctx) -> laneStatus(rs))
                        .list()));
    }

    @Override
    public List<LaneBacklog> backlog(List<LaneCursor> cursors) {
        if (cursors.isEmpty()) {
            return List.of();
        }
        // One index range scan per lane from its position, bounded: deleted rows below the positions are not walked.
        String sql = "select c.lane, c.cap, x.waiting, x.oldest, s.lane is not null as stopped"
                + " from unnest(cast(? as int[]), cast(? as bigint[]), cast(? as int[])) as c(lane, after, cap)"
                + " cross join lateral (select count(*) as waiting, min(created_at) as oldest from (select created_at"
                + " from " + message + " m where m.lane = c.lane and m.id > c.after and m.sent_at is null"
                + " order by m.id limit c.cap) y) x left join " + stopped + " s on s.lane = c.lane order by c.lane";
        return sql(
                "read the backlog",
                () -> jdbi.withHandle(h -> h.createQuery(sql)
                        .bindArray(
                                0,
                                Integer.class,
                                cursors.stream().map(LaneCursor::lane).toList())
                        .bindArray(
                                1,
                                Long.class,
                                cursors.stream().map(LaneCursor::after).toList())
                        .bindArray(
                                2,
                                Integer.class,
                                cursors.stream().map(LaneCursor::limit).toList())
                        .map((rs, ctx) -> {
                            long waiting = rs.getLong("waiting");
                            Timestamp oldest = rs.getTimestamp("oldest");
                            return new LaneBacklog(
                                    rs.getInt("lane"),
                                    waiting,
                                    waiting >= rs.getInt("cap"),
                                    Optional.ofNullable(oldest).map(Timestamp::toInstant),
                                    rs.getBoolean("stopped"));
                        })
                        .list()));
    }

    @Override
    public AutoCloseable onAppend(Runnable listener) {
        if (!config.notifyOnAppend()) {
            return () -> {};
        }
        return AppendListener.start(jdbi.jdbi(), config.channel(), listener);
    }

    @Override
    public int purgeSent(int limit) {
        if (config.retention().isEmpty()) {
            return 0;
        }
        double seconds = config.retention().get().toMillis() / 1000.0;
        return sql(
                "purge sent messages",
                () -> jdbi.withHandle(h -> h.createUpdate("delete from " + message
                                + " where id in (select id from " + message + " where sent_at is not null"
                                + " and sent_at < now() - make_interval(secs => :retention) limit :limit)")
                        .bind("retention", seconds)
                        .bind("limit", limit)
                        .execute()));
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    private static final String COLUMNS = "id, lane, topic, partition_key, type, content_type, header_names,"
            + " header_values, payload, created_at, attempts";

    static StoredMessage stored(ResultSet rs) throws SQLException {
        String[] names = strings(rs.getArray("header_names"));
        String[] values = strings(rs.getArray("header_values"));
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 0; i < names.length && i < values.length; i++) {
            headers.put(names[i], values[i]);
        }
        return new StoredMessage(
                new MessageId(rs.getLong("id")),
                rs.getInt("lane"),
                rs.getString("topic"),
                rs.getString("partition_key"),
                rs.getString("type"),
                rs.getString("content_type"),
                headers,
                rs.getBytes("payload"),
                rs.getTimestamp("created_at").toInstant(),
                rs.getInt("attempts"));
    }

    private static String[] strings(Array array) throws SQLException {
        if (array == null) {
            return new String[0];
        }
        try {
            return (String[]) array.getArray();
        } finally {
            array.free();
        }
    }

    private static StoppedLane stoppedLane(ResultSet rs) throws SQLException {
        return new StoppedLane(
                rs.getInt("lane"),
                new MessageId(rs.getLong("message_id")),
                rs.getString("topic"),
                rs.getString("reason"),
                rs.getInt("attempts"),
                rs.getTimestamp("stopped_at").toInstant());
    }

    private static ParkedMessage parkedMessage(ResultSet rs) throws SQLException {
        return new ParkedMessage(
                new MessageId(rs.getLong("id")),
                rs.getInt("lane"),
                rs.getString("topic"),
                rs.getString("type"),
                rs.getString("reason"),
                rs.getTimestamp("parked_at").toInstant());
    }

    private static LaneStatus laneStatus(ResultSet rs) throws SQLException {
        int laneNumber = rs.getInt("lane");
        long oldest = rs.getLong("oldest_ms");
        Optional<Duration> age = rs.wasNull() ? Optional.empty() : Optional.of(Duration.ofMillis(oldest));
        Timestamp stoppedAt = rs.getTimestamp("stopped_at");
        Optional<StoppedLane> stop = stoppedAt == null
                ? Optional.empty()
                : Optional.of(new StoppedLane(
                        laneNumber,
                        new MessageId(rs.getLong("message_id")),
                        rs.getString("topic"),
                        rs.getString("reason"),
                        rs.getInt("attempts"),
                        stoppedAt.toInstant()));
        return new LaneStatus(laneNumber, rs.getLong("backlog"), age, Optional.ofNullable(rs.getString("owner")), stop);
    }

    private void checkLanes() {
        int count = sql(
                "count lanes",
                () -> jdbi.withHandle(h -> h.createQuery("select count(*) from " + lane)
                        .mapTo(Integer.class)
                        .one()));
        if (count != config.lanes()) {
            throw new InvalidConfigurationException("table " + lane + " has " + count + " lanes but the store is"
                    + " configured with " + config.lanes() + ": configure the lane count the tables were created"
                    + " with");
        }
        lanesChecked = true;
    }

    private <T> T sql(String what, Supplier<T> action) {
        try {
            return action.get();
        } catch (JdbiException e) {
            Throwable cause = e.getCause() instanceof SQLException ? e.getCause() : e;
            if (cause instanceof SQLException s && "42P01".equals(s.getSQLState())) {
                throw new StoreException(
                        "could not " + what + ": the outbox tables (" + message + ", ...) do not"
                                + " exist; run JdbiMessageStore.migrate() or apply migrationScript()",
                        s);
            }
            throw new StoreException("could not " + what + ": " + cause.getMessage(), cause);
        }
    }
}
