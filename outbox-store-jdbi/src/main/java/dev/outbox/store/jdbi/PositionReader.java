package dev.outbox.store.jdbi;

import dev.outbox.spi.FetchRequest;
import dev.outbox.spi.Fetched;
import dev.outbox.spi.LaneCursor;
import dev.outbox.spi.ReadMark;
import dev.outbox.spi.StoredMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;

/**
 * The relay's reads: each lane from its position, and the late messages below the positions.
 *
 * <p>Three statements, in this order, each in its own snapshot:
 *
 * <ol>
 *   <li>the <em>mark</em>: the current snapshot and the highest id handed out so far;
 *   <li>the <em>read</em>: for each lane {@code id > position order by id limit n}, merged by id with an overall limit
 *       ({@code union all} of one index range scan per lane under a merge: each lane's scan starts at its position, so
 *       rows deleted below it are never walked, and no plan sorts the backlog, whatever the statistics say);
 *   <li>the <em>late</em> look-up: rows below the lanes' positions whose transaction was still in progress (or not yet
 *       started) at the previous mark. Those are the only rows that can have become visible below a position since:
 *       ids are handed out in increasing order, so a row the previous read did not see while its id was below the
 *       read's position belonged to a transaction in progress then. They are found through the transaction-id index:
 *       the transactions in progress at the previous mark, and those started after it.
 * </ol>
 *
 * Rows visible to the read but not to the mark taken just before it are found again by the next late look-up; the
 * relay skips ids it has already.
 */
final class PositionReader {
    private final String table;
    private final String columns;
    /** The read's SQL per number of lanes read: the text, and so the prepared statement, depends only on that. */
    private final Map<Integer, String> reads = new ConcurrentHashMap<>();

    private final String markSql;
    private final String lateSql;

    PositionReader(String table, String columns) {
        this.table = table;
        this.columns = columns;
        this.markSql = "select cast(pg_current_snapshot() as text),"
                + " coalesce(pg_sequence_last_value(cast(pg_get_serial_sequence(?, 'id') as regclass)), 0)";
        // Two index look-ups by transaction id: a range (transactions started after the mark; bounded, so that one
        // huge late transaction is reported rather than read whole) and the transactions in progress at the mark.
        this.lateSql = "with recent as materialized (select id, lane from " + table
                + " where xid >= pg_snapshot_xmax(cast(? as pg_snapshot)) and sent_at is null order by xid limit ?),"
                + " open as materialized (select id, lane from " + table
                + " where xid = any(array(select pg_snapshot_xip(cast(? as pg_snapshot)))) and sent_at is null),"
                + " late as (select distinct x.id from (select id, lane from recent union all select id, lane from"
                + " open) x join unnest(cast(? as int[]), cast(? as bigint[])) as c(lane, after) on c.lane = x.lane"
                + " and x.id <= c.after)"
                + " select (select count(*) from recent) as recent, m.* from (select 1) as one left join (select "
                + columns + " from " + table + " where id in (select id from late)) m on true order by m.id";
    }

    Fetched fetch(Handle h, FetchRequest request) {
        Mark mark = h.createQuery(markSql)
                .bind(0, table)
                .map((rs, ctx) -> new Mark(new ReadMark(rs.getString(1)), rs.getLong(2)))
                .one();

        TreeMap<Long, StoredMessage> found = new TreeMap<>();
        List<LaneCursor> read =
                request.lanes().stream().filter(LaneCursor::reads).toList();
        boolean cut = false;
        long lastRead = 0;
        if (!read.isEmpty() && request.limit() > 0) {
            Query q = h.createQuery(reads.computeIfAbsent(read.size(), this::readSql));
            int p = 0;
            for (LaneCursor c : read) {
                q.bind(p++, c.lane()).bind(p++, c.after()).bind(p++, Math.min(c.limit(), request.limit()));
            }
            q.bind(p, request.limit());
            List<StoredMessage> rows =
                    q.map((rs, ctx) -> JdbiMessageStore.stored(rs)).list();
            rows.forEach(m -> found.put(m.id().value(), m));
            cut = rows.size() >= request.limit();
            lastRead = rows.isEmpty() ? 0 : rows.get(rows.size() - 1).id().value();
        }

        boolean complete = true;
        List<LaneCursor> watched =
                request.lanes().stream().filter(c -> c.after() > 0).toList();
        if (!request.since().isNone() && !watched.isEmpty()) {
            int bound = Math.max(10_000, 10 * request.limit());
            List<Late> late = h.createQuery(lateSql)
                    .bind(0, request.since().value())
                    .bind(1, bound)
                    .bind(2, request.since().value())
                    .bindArray(
                            3,
                            Integer.class,
                            watched.stream().map(LaneCursor::lane).toList())
                    .bindArray(
                            4,
                            Long.class,
                            watched.stream().map(LaneCursor::after).toList())
                    .map((rs, ctx) -> new Late(
                            rs.getInt("recent"), rs.getObject("id") == null ? null : JdbiMessageStore.stored(rs)))
                    .list();
            for (Late l : late) {
                if (l.message() != null) {
                    found.putIfAbsent(l.message().id().value(), l.message());
                }
            }
            complete = late.isEmpty() || late.get(0).recent() < bound;
        }
        return new Fetched(new ArrayList<>(found.values()), mark.mark(), cut ? lastRead : mark.highest(), complete);
    }

    private String readSql(int lanes) {
        StringBuilder sql = new StringBuilder("select ").append(columns).append(" from (");
        for (int i = 0; i < lanes; i++) {
            if (i > 0) {
                sql.append(" union all ");
            }
            sql.append("(select ")
                    .append(columns)
                    .append(" from ")
                    .append(table)
                    .append(" where lane = ? and id > ? and sent_at is null order by id limit ?)");
        }
        return sql.append(") r order by id limit ?").toString();
    }

    private record Mark(ReadMark mark, long highest) {}

    private record Late(int recent, StoredMessage message) {}
}
