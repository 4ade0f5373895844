package dev.sluice.gateway.spend;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;

import io.r2dbc.spi.Readable;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Usage reports from {@code usage_records}: one item per day, model, key or user in the range, and their total. The
 * cost of unpriced calls is unknown, so it is not in {@code cost_usd}: an item says how many of its calls were
 * unpriced, and its {@code cost_usd} is {@code null} when all were.
 * <p>
 * A report has at most {@value #MAX_ITEMS} items (a year of days fits; everyone's users or models may not): past
 * that it is {@code truncated}, keys and users come dearest first so that the cut keeps who spent most, and the
 * total is still the whole range's, from one more statement without the grouping.
 */
@Component
class UsageReports {

    static final int MAX_ITEMS = 1_000;

    private final DatabaseClient database;

    UsageReports(DatabaseClient database) {
        this.database = database;
    }

    /** @param what the group's value: a day, a model name, a key's or a user's id ({@code null}: calls without a key) */
    record Line(Object what, String label, long requests, long inputTokens, long outputTokens, BigDecimal costUsd,
            long unpriced, boolean estimated) {
    }

    record Report(UsageQuery query, List<Line> items, Line total, boolean truncated) {

        UsageQuery.GroupBy groupBy() {
            return query.groupBy();
        }

        LocalDate from() {
            return query.from();
        }

        LocalDate to() {
            return query.to();
        }
    }

    private static final String SUMS = " COUNT(*) AS requests,"
            + " SUM(r.input_tokens) AS input_tokens, SUM(r.output_tokens) AS output_tokens,"
            + " SUM(r.cost_usd) AS cost_usd, SUM(CASE WHEN r.cost_usd IS NULL THEN 1 ELSE 0 END) AS unpriced,"
            + " SUM(CASE WHEN r.estimated THEN 1 ELSE 0 END) AS estimated";

    Mono<Report> report(UsageQuery query) {
        UsageQuery.GroupBy group = query.groupBy();
        String sql = "SELECT " + group.column + " AS what, " + (group.labelColumn == null ? "NULL" : group.labelColumn)
                + " AS label," + SUMS + " FROM usage_records r" + group.join + where(query)
                + " GROUP BY " + group.column + (group.labelColumn == null ? "" : ", " + group.labelColumn)
                + " ORDER BY " + (group.dearestFirst ? "SUM(r.cost_usd) DESC NULLS LAST, " : "") + group.column
                + " LIMIT :limit";
        return bound(database.sql(sql), query).bind("limit", MAX_ITEMS + 1)
                .map(UsageReports::line).all().collectList()
                .flatMap(items -> items.size() <= MAX_ITEMS
                        ? Mono.just(new Report(query, items, total(items), false))
                        : wholeTotal(query).map(total -> new Report(query, items.subList(0, MAX_ITEMS), total, true)));
    }

    /** The range's total when its items were cut: the same sums over every record, without the grouping. */
    private Mono<Line> wholeTotal(UsageQuery query) {
        return bound(database.sql("SELECT NULL AS what, NULL AS label," + SUMS + " FROM usage_records r" + where(query)), query)
                .map(UsageReports::line).one()
                .map(line -> new Line(null, null, line.requests(), line.inputTokens(), line.outputTokens(),
                        knownCost(line.costUsd(), line.requests(), line.unpriced()), line.unpriced(), line.estimated()));
    }

    private static String where(UsageQuery query) {
        return " WHERE r.usage_date BETWEEN :from AND :to" + (query.user() == null ? "" : " AND r.user_id = :user");
    }

    private static DatabaseClient.GenericExecuteSpec bound(DatabaseClient.GenericExecuteSpec spec, UsageQuery query) {
        spec = spec.bind("from", query.from()).bind("to", query.to());
        return query.user() == null ? spec : spec.bind("user", query.user());
    }

    private static Line line(Readable row) {
        return new Line(row.get("what"), row.get("label", String.class), number(row, "requests"),
                number(row, "input_tokens"), number(row, "output_tokens"), row.get("cost_usd", BigDecimal.class),
                number(row, "unpriced"), number(row, "estimated") > 0);
    }

    /** Sums come back as BIGINT or NUMERIC depending on the database. */
    private static long number(Readable row, String column) {
        Object value = row.get(column);
        return value == null ? 0 : ((Number) value).longValue();
    }

    private static Line total(List<Line> items) {
        long requests = 0;
        long input = 0;
        long output = 0;
        long unpriced = 0;
        boolean estimated = false;
        BigDecimal cost = BigDecimal.ZERO;
        for (Line item : items) {
            requests += item.requests();
            input += item.inputTokens();
            output += item.outputTokens();
            unpriced += item.unpriced();
            estimated |= item.estimated();
            if (item.costUsd() != null) {
                cost = cost.add(item.costUsd());
            }
        }
        return new Line(null, null, requests, input, output, knownCost(cost, requests, unpriced), unpriced, estimated);
    }

    /** As an item's: unknown when every call was unpriced, and nothing when there was no call. */
    private static BigDecimal knownCost(BigDecimal sum, long requests, long unpriced) {
        return requests > 0 && unpriced == requests ? null : sum == null ? BigDecimal.ZERO : sum;
    }
}
