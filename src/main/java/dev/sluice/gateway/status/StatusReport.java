package dev.sluice.gateway.status;

import java.util.List;

/** The body of {@code GET /api/v1/status}: every provider, sorted by name. */
public record StatusReport(List<ProviderStatus> providers) {
}
