package dev.sluice.gateway.embedding;

import java.util.Locale;
import java.util.stream.Collectors;

import dev.sluice.gateway.accesslog.AccessLog;
import dev.sluice.gateway.budget.Budgets;
import dev.sluice.gateway.provider.ProviderRegistry;
import dev.sluice.gateway.quota.DailyQuota;
import dev.sluice.gateway.ratelimit.CallerLimits;
import dev.sluice.gateway.routing.GatewayOverhead;
import dev.sluice.gateway.routing.ModelCatalog;
import dev.sluice.gateway.routing.Route;
import dev.sluice.gateway.routing.Router;
import dev.sluice.gateway.spend.Spending;
import dev.sluice.gateway.web.GatewayException;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The embeddings use case: find the request's route and keep the targets whose provider offers embeddings, check the
 * caller may use it, charge the daily quota (one request and the input's tokens, settled to the provider's count) and
 * the USD budgets (the input at the dearest target's price, settled to the provider's count at the serving one), and
 * send it through the router, which gives it the keys, breakers, bulkheads, budgets, timeouts, retries and fallbacks
 * of a chat; what it cost is recorded as a chat's is. Nothing is cached and nothing goes to history.
 */
@Service
class EmbeddingService {

    private final ModelCatalog models;
    private final Router router;
    private final EmbeddingClients clients;
    private final DailyQuota quota;
    private final Budgets budgets;
    private final GatewayOverhead overhead;
    private final ProviderRegistry providers;
    private final CallerLimits callerLimits;
    private final Spending spending;

    EmbeddingService(ModelCatalog models, Router router, EmbeddingClients clients, DailyQuota quota, Budgets budgets,
            GatewayOverhead overhead, ProviderRegistry providers, CallerLimits callerLimits, Spending spending) {
        this.callerLimits = callerLimits;
        this.models = models;
        this.router = router;
        this.clients = clients;
        this.quota = quota;
        this.budgets = budgets;
        this.overhead = overhead;
        this.providers = providers;
        this.spending = spending;
    }

    /**
     * The embeddings. An unknown model fails here, before anything is sent (404); a model the caller may not use
     * (403) or with no target that offers embeddings (400) fails first thing when subscribed, so does a spent
     * quota or budget (429); what the router could not get from any provider then fails as a chat's does (502, 503, 504).
     */
    Mono<EmbeddingReply> embed(EmbeddingCall call) {
        EmbeddingRequest request = call.request();
        Route route = models.resolve(request.model());
        call.route(route);
        Route embeddable = route.only(clients::offers);
        long inputTokens = request.input().estimatedTokens();
        return Mono.deferContextual(context -> {
                    AccessLog.embeddings(context, call);
                    return models.permit(call.caller(), route);
                })
                .thenMany(callerLimits.meter(call, inputTokens, () -> {
                    if (embeddable.targets().isEmpty()) {
                        return Flux.<EmbeddingReply>error(offersNone(route));
                    }
                    return quota.meter(call.caller().id(), inputTokens, call, () -> budgets.meter(call, embeddable,
                            inputTokens, () -> {
                                call.routed();
                                return router.route(embeddable, request, inputTokens, call, clients).doOnNext(call::replied);
                            }));
                }))
                .single()
                .doFinally(signal -> {
                    call.upstreamStopped();
                    overhead.record(call);
                    spending.ended(call);
                });
    }

    /** A 400 naming the model: its targets are all on providers without embeddings (Anthropic). */
    private GatewayException offersNone(Route route) {
        String targets = route.targets().stream()
                .map(target -> target + " (" + providers.find(target.provider())
                        .map(provider -> provider.properties().type().name().toLowerCase(Locale.ROOT))
                        .orElse("?") + ")")
                .collect(Collectors.joining(", "));
        return GatewayException.invalid("model", "'" + route.name() + "' has no target that offers embeddings (" + targets
                + "); embeddings go to openai-compatible, gemini and demo providers");
    }
}
