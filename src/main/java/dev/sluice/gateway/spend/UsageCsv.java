package dev.sluice.gateway.spend;

/**
 * A usage report as CSV (RFC 4180): a header, then one line per item, as the JSON items have them; an unpriced
 * item's {@code cost_usd} is empty, not 0.
 */
final class UsageCsv {

    private UsageCsv() {
    }

    static String of(UsageReports.Report report) {
        UsageQuery.GroupBy group = report.groupBy();
        StringBuilder csv = new StringBuilder(group.wireName());
        if (group.labelName != null) {
            csv.append(',').append(group.labelName);
        }
        csv.append(",requests,input_tokens,output_tokens,cost_usd,unpriced,estimated\r\n");
        for (UsageReports.Line line : report.items()) {
            csv.append(field(line.what() == null ? "" : line.what().toString()));
            if (group.labelName != null) {
                csv.append(',').append(field(line.label() == null ? "" : line.label()));
            }
            csv.append(',').append(line.requests()).append(',').append(line.inputTokens()).append(',')
                    .append(line.outputTokens()).append(',').append(line.costUsd() == null ? "" : line.costUsd().toPlainString())
                    .append(',').append(line.unpriced()).append(',').append(line.estimated()).append("\r\n");
        }
        return csv.toString();
    }

    /**
     * Quoted when it holds a comma, a quote or a line break; model names and key names are the caller's text, so one
     * that a spreadsheet would run as a formula ({@code =}, {@code +}, {@code -}, {@code @}) gets a leading quote.
     */
    private static String field(String raw) {
        String text = !raw.isEmpty() && "=+-@".indexOf(raw.charAt(0)) >= 0 ? "'" + raw : raw;
        if (text.indexOf(',') < 0 && text.indexOf('"') < 0 && text.indexOf('\n') < 0 && text.indexOf('\r') < 0) {
            return text;
        }
        return '"' + text.replace("\"", "\"\"") + '"';
    }
}
