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
 */
@Component
class UsageReports {

    private final DatabaseClient database;

    UsageReports(DatabaseClient database) {
        this.database = database;
    }

    /** @param what the group's value: a day, a model name, a key's or a user's id ({@code null}: calls without a key) */
    record Line(Object what, String label, long requests, long inputTokens, long outputTokens, BigDecimal costUsd,
            long unpriced, boolean estimated) {
    }

    record Report(UsageQuery query, List<Line> items, Line total) {

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

    Mono<Report> report(UsageQuery query) {
        UsageQuery.GroupBy group = query.groupBy();
        String sql = "SELECT " + group.column + " AS what, " + (group.labelColumn == null ? "NULL" : group.labelColumn)
                + " AS label, COUNT(*) AS requests,"
                + " SUM(r.input_tokens) AS input_tokens, SUM(r.output_tokens) AS output_tokens,"
                + " SUM(r.cost_usd) AS cost_usd, SUM(CASE WHEN r.cost_usd IS NULL THEN 1 ELSE 0 END) AS unpriced,"
                + " SUM(CASE WHEN r.estimated THEN 1 ELSE 0 END) AS estimated"
                + " FROM usage_records r" + group.join
                + " WHERE r.usage_date BETWEEN :from AND :to" + (query.user() == null ? "" : " AND r.user_id = :user")
                + " GROUP BY " + group.column + (group.labelColumn == null ? "" : ", " + group.labelColumn)
                + " ORDER BY " + group.column;
        DatabaseClient.GenericExecuteSpec spec = database.sql(sql).bind("from", query.from()).bind("to", query.to());
        if (query.user() != null) {
            spec = spec.bind("user", query.user());
        }
        return spec.map(UsageReports::line).all().collectList()
                .map(items -> new Report(query, items, total(items)));
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
        // As an item's: unknown when every call was unpriced, and nothing when there was no call.
        return new Line(null, null, requests, input, output, requests > 0 && unpriced == requests ? null : cost,
                unpriced, estimated);
    }
}
