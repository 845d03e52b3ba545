package dev.outbox.store.jdbi;

import dev.outbox.spi.FetchRequest;
import dev.outbox.spi.Fetched;
import dev.outbox.spi.LaneCursor;
import dev.outbox.spi.ReadMark;
import dev.outbox.spi.StoredMessage;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.jdbi.v3.core.Handle;

/**
 * The relay's fetch: each lane read from its position, and the late messages below the positions, in one statement
 * (so one snapshot, one round trip). Its result rows are of three parts:
 *
 * <ol>
 *   <li>the <em>mark</em>, one row: the statement's snapshot and the highest id handed out so far;
 *   <li>the <em>read</em>: for each lane {@code id > position order by id limit n}, merged by id under an overall limit.
 *       It is a {@code union all} of one index range scan per lane under a merge, so each lane's scan starts at its
 *       position (rows deleted below it are never walked) and no plan sorts the backlog, whatever the statistics say;
 *   <li>the <em>late</em> messages: rows below the lanes' positions whose transaction was in progress (or not started)
 *       at the previous mark. Those are the only rows that can have become visible below a position since: ids are
 *       handed out in increasing order, so a row the previous read did not see while its id was below the read's
 *       position belonged to a transaction in progress then. They are found through the transaction-id index: the
 *       transactions in progress at the previous mark, and those started after it. Both look-ups are bounded, so that a
 *       huge transaction that commits late is reported (the relay then reads its lanes from the start) rather than read
 *       whole here.
 * </ol>
 */
final class PositionReader {
    private static final int MARK = 0;
    private static final int READ = 1;
    /**
     * The fetch is one statement of many branches, all of which have a single sensible plan: planning it afresh for
     * every call's parameters (what PostgreSQL does with a prepared statement whose generic plan it finds no cheaper)
     * costs more than running it. The first setting keeps one plan, for the fetch's transaction only.
     *
     * <p>The others make that plan the sensible one whatever the statistics say. Each lane's branch must walk the
     * pending index from the lane's position, in id order. After an {@code ANALYZE} that saw almost no pending rows,
     * every partial index on {@code sent_at is null} looks equally empty, and the planner may answer a lane's branch by
     * reading the whole transaction-id index in a bitmap, filtering by lane and sorting: each branch then reads every
     * pending (and dead) row of the table, and a fetch of a few rows took a second on a table of a few thousand.
     * Without bitmap scans, sorts and sequential scans, the only cheap plan left reads each lane from its position in
     * the pending index; the late look-ups read the transaction-id index in order.
     */
    private static final String PLAN_SETTING = "set local plan_cache_mode = force_generic_plan;"
            + " set local enable_bitmapscan = off; set local enable_sort = off; set local enable_seqscan = off; ";

    private final String table;
    private final String columns;
    /** The SQL per number of lanes read and whether late messages are looked for: the text depends only on those. */
    private final Map<Integer, String> statements = new ConcurrentHashMap<>();

    private volatile String sequence;

    PositionReader(String table, String columns) {
        this.table = table;
        this.columns = columns;
    }

    Fetched fetch(Handle h, FetchRequest request) throws SQLException {
        List<LaneCursor> read = request.limit() == 0
                ? List.of()
                : request.lanes().stream().filter(LaneCursor::reads).toList();
        List<LaneCursor> watched =
                request.lanes().stream().filter(c -> c.after() > 0).toList();
        boolean late = !request.since().isNone() && !watched.isEmpty();
        int bound = Math.max(10_000, 10 * request.limit());
        String sequence = sequence(h);
        Connection c = h.getConnection();

        // The setting and the fetch go out together, inside the transaction the store opens for them (a SET LOCAL
        // outside a transaction block makes PostgreSQL log a warning on every call), so the setting holds for the
        // fetch only.
        String sql = PLAN_SETTING
                + statements.computeIfAbsent(read.size() * 2 + (late ? 1 : 0), k -> sql(k / 2, k % 2 == 1));
        List<Row> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int p = 1;
            ps.setString(p++, sequence);
            if (late) {
                ps.setString(p++, request.since().value());
                ps.setInt(p++, bound);
                ps.setString(p++, request.since().value());
                ps.setInt(p++, bound);
                ps.setArray(
                        p++,
                        c.createArrayOf(
                                "int4", watched.stream().map(LaneCursor::lane).toArray()));
                ps.setArray(
                        p++,
                        c.createArrayOf(
                                "int8", watched.stream().map(LaneCursor::after).toArray()));
            }
            for (LaneCursor cursor : read) {
                ps.setInt(p++, cursor.lane());
                ps.setLong(p++, cursor.after());
                ps.setInt(p++, Math.min(cursor.limit(), request.limit()));
            }
            if (!read.isEmpty()) {
                ps.setInt(p, request.limit());
            }
            boolean isResult = ps.execute();
            while (!isResult && ps.getUpdateCount() != -1) {
                isResult = ps.getMoreResults();
            }
            try (ResultSet rs = ps.getResultSet()) {
                while (rs.next()) {
                    rows.add(row(rs));
                }
            }
        }
        Row mark = rows.get(0);
        TreeMap<Long, StoredMessage> found = new TreeMap<>();
        int readCount = 0;
        long lastRead = 0;
        for (Row r : rows.subList(1, rows.size())) {
            found.putIfAbsent(r.message().id().value(), r.message());
            if (r.part() == READ) {
                readCount++;
                lastRead = Math.max(lastRead, r.message().id().value());
            }
        }
        boolean cut = !read.isEmpty() && readCount >= request.limit();
        return new Fetched(
                new ArrayList<>(found.values()),
                new ReadMark(mark.snapshot()),
                cut ? lastRead : mark.highest(),
                mark.scanned() < bound);
    }

    private String sequence(Handle h) {
        String s = sequence;
        if (s == null) {
            s = h.createQuery("select pg_get_serial_sequence(?, 'id')")
                    .bind(0, table)
                    .mapTo(String.class)
                    .one();
            sequence = s;
        }
        return s;
    }

    private String sql(int lanesRead, boolean late) {
        StringBuilder sql = new StringBuilder("with mark as materialized (select cast(pg_current_snapshot() as text)"
                + " as snapshot, coalesce(pg_sequence_last_value(cast(? as regclass)), 0) as highest)");
        String scanned = "0";
        if (late) {
            sql.append(", recent as materialized (select id, lane from ")
                    .append(table)
                    .append(" where xid >= pg_snapshot_xmax(cast(? as pg_snapshot)) and sent_at is null")
                    .append(" order by xid limit ?)")
                    .append(", open as materialized (select id, lane from ")
                    .append(table)
                    .append(" where xid = any(array(select pg_snapshot_xip(cast(? as pg_snapshot))))")
                    .append(" and sent_at is null order by xid limit ?)")
                    .append(", late as (select distinct x.id from (select id, lane from recent union all")
                    .append(" select id, lane from open) x join unnest(cast(? as int[]), cast(? as bigint[]))")
                    .append(" as c(lane, after) on c.lane = x.lane and x.id <= c.after)");
            scanned = "greatest((select count(*) from recent), (select count(*) from open))";
        }
        // The mark travels in the columns of a message row: part 0, id = highest id, topic = snapshot,
        // attempts = how many rows the late look-ups scanned.
        sql.append(" select ")
                .append(MARK)
                .append(" as part, highest as id, 0 as lane, snapshot as topic, null as partition_key, '' as type,")
                .append(" '' as content_type, cast('{}' as text[]) as header_names,")
                .append(" cast('{}' as text[]) as header_values, cast('' as bytea) as payload,")
                .append(" now() as created_at, cast(")
                .append(scanned)
                .append(" as int) as attempts from mark");
        if (lanesRead > 0) {
            sql.append(" union all select ")
                    .append(READ)
                    .append(" as part, ")
                    .append(columns)
                    .append(" from (select * from (");
            for (int i = 0; i < lanesRead; i++) {
                if (i > 0) {
                    sql.append(" union all ");
                }
                sql.append("(select ")
                        .append(columns)
                        .append(" from ")
                        .append(table)
                        .append(" where lane = ? and id > ? and sent_at is null order by id limit ?)");
            }
            sql.append(") u order by id limit ?) r");
        }
        if (late) {
            sql.append(" union all select 2 as part, ")
                    .append(columns)
                    .append(" from ")
                    .append(table)
                    .append(" where id in (select id from late)");
        }
        return sql.toString();
    }

    private static Row row(ResultSet rs) throws SQLException {
        if (rs.getInt("part") == MARK) {
            return new Row(MARK, null, rs.getString("topic"), rs.getLong("id"), rs.getInt("attempts"));
        }
        return new Row(rs.getInt("part"), JdbiMessageStore.stored(rs), null, 0, 0);
    }

    private record Row(int part, StoredMessage message, String snapshot, long highest, int scanned) {}
}
