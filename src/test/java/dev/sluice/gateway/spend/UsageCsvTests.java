package dev.sluice.gateway.spend;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A report as CSV: the caller's own text (model and key names) cannot break a line or run as a formula. */
class UsageCsvTests {

    private static final LocalDate DAY = LocalDate.of(2026, 12, 2);

    @Test
    void aNameWithACommaOrAQuoteIsQuotedAndOneAFormulaWouldRunGetsALeadingQuote() {
        UUID key = new UUID(0, 1);
        UsageReports.Line quoted = new UsageReports.Line(key, "batch, \"nightly\"", 2, 30, 4, new BigDecimal("0.000070"), 0, false);
        UsageReports.Line formula = new UsageReports.Line(null, "=HYPERLINK(\"x\")", 1, 1, 1, null, 1, true);

        String csv = UsageCsv.of(report(UsageQuery.GroupBy.KEY, List.of(quoted, formula)));

        assertThat(csv).isEqualTo("key,key_name,requests,input_tokens,output_tokens,cost_usd,unpriced,estimated\r\n"
                + key + ",\"batch, \"\"nightly\"\"\",2,30,4,0.000070,0,false\r\n"
                + ",\"'=HYPERLINK(\"\"x\"\")\",1,1,1,,1,true\r\n");
    }

    @Test
    void anEmptyReportIsItsHeader() {
        assertThat(UsageCsv.of(report(UsageQuery.GroupBy.DAY, List.of())))
                .isEqualTo("day,requests,input_tokens,output_tokens,cost_usd,unpriced,estimated\r\n");
    }

    private static UsageReports.Report report(UsageQuery.GroupBy groupBy, List<UsageReports.Line> items) {
        return new UsageReports.Report(new UsageQuery(DAY, DAY, groupBy, null), items, null, false);
    }
}
