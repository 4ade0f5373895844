package dev.sluice.gateway.routing;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import dev.sluice.gateway.auth.Caller;
import dev.sluice.gateway.auth.KeyScope;
import dev.sluice.gateway.llm.ReplyOptions;
import dev.sluice.gateway.provider.ProviderProperties;
import dev.sluice.gateway.provider.ProviderRegistry;
import dev.sluice.gateway.provider.ProviderType;
import dev.sluice.gateway.provider.ProvidersProperties;
import dev.sluice.gateway.routing.RoutingProperties.DirectModels;
import dev.sluice.gateway.web.ErrorCode;
import dev.sluice.gateway.web.GatewayException;
import org.junit.jupiter.api.Test;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which model names a caller may use, and which of them are the configuration's own (the ones metrics may name). */
class ModelCatalogTests {

    private static final Caller USER = new Caller(UUID.randomUUID(), "user@example.com", Caller.Role.USER, null);
    private static final Caller ADMIN = new Caller(UUID.randomUUID(), "ops@example.com", Caller.Role.ADMIN, null);

    @Test
    void anyNameAStarLetsThroughIsADirectRouteButNotAListedOne() {
        ModelCatalog catalog = catalog(DirectModels.ALL);

        Route listed = catalog.resolve("demo/listed");
        Route starred = catalog.resolve("demo/anything-" + UUID.randomUUID());

        assertThat(listed.listed()).as("named in the configuration").isTrue();
        assertThat(starred.listed()).as("only let through by *").isFalse();
        assertThat(starred.metricModel(starred.targets().get(0))).isEqualTo(Route.OTHER);
        assertThat(catalog.isListed("fast")).as("aliases are the configuration's").isTrue();
        assertThat(catalog.isListed(starred.name())).isFalse();
    }

    @Test
    void byDefaultEveryCallerMayUseDirectModels() {
        ModelCatalog catalog = catalog(DirectModels.ALL);

        StepVerifier.create(catalog.permit(USER, catalog.resolve("demo/listed"))).verifyComplete();
    }

    @Test
    void aKeyScopedToSomeModelsIsRefusedOthersWithAMessageNamingItsModelsAndListsOnlyItsOwn() {
        ModelCatalog catalog = catalog(DirectModels.ALL);
        Caller scoped = new Caller(UUID.randomUUID(), "app@example.com", Caller.Role.ADMIN, UUID.randomUUID(),
                new KeyScope(Set.of("demo/listed"), null, null, null, null, null));

        StepVerifier.create(catalog.permit(scoped, catalog.resolve("demo/listed"))).verifyComplete();
        StepVerifier.create(catalog.permit(scoped, catalog.resolve("fast")))
                .expectErrorSatisfies(error -> {
                    assertThat(((GatewayException) error).code()).isEqualTo(ErrorCode.FORBIDDEN);
                    assertThat(error.getMessage()).contains("'fast' is not in this API key's models [demo/listed]");
                })
                .verify(Duration.ofSeconds(5));
        StepVerifier.create(as(scoped, catalog.modelsForCaller()))
                .assertNext(models -> assertThat(models).extracting(ModelCatalog.ModelEntry::id).containsExactly("demo/listed"))
                .verifyComplete();
    }

    @Test
    void withAdminsOnlyAUserIsRefusedADirectModelButNotAnAlias() {
        ModelCatalog catalog = catalog(DirectModels.ADMINS);

        StepVerifier.create(catalog.permit(USER, catalog.resolve("demo/listed")))
                .expectErrorSatisfies(error -> assertThat(((GatewayException) error).code()).isEqualTo(ErrorCode.FORBIDDEN))
                .verify(Duration.ofSeconds(5));
        StepVerifier.create(catalog.permit(USER, catalog.resolve("fast"))).verifyComplete();
        StepVerifier.create(catalog.permit(ADMIN, catalog.resolve("demo/listed"))).verifyComplete();
        StepVerifier.create(as(USER, catalog.modelsForCaller()))
                .assertNext(models -> assertThat(models).as("a user is shown the aliases only")
                        .extracting(ModelCatalog.ModelEntry::id).containsExactly("fast"))
                .verifyComplete();
    }

    @Test
    void withNoneNotEvenAnAdminMayUseADirectModel() {
        ModelCatalog catalog = catalog(DirectModels.NONE);

        StepVerifier.create(catalog.permit(ADMIN, catalog.resolve("demo/listed")))
                .expectError(GatewayException.class)
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void aNameTooLongOrWithOtherCharactersIsA400NamingModel() {
        assertThatThrownBy(() -> ModelNames.check("demo/" + "a".repeat(ModelNames.MAX_LENGTH)))
                .isInstanceOfSatisfying(GatewayException.class, error -> assertThat(error.param()).isEqualTo("model"));
        assertThatThrownBy(() -> ModelNames.check("demo/a b"))
                .isInstanceOfSatisfying(GatewayException.class, error -> assertThat(error.code())
                        .isEqualTo(ErrorCode.INVALID_REQUEST));
        ModelNames.check("openrouter/meta-llama/llama-3.1-8b-instruct:free");
        ModelNames.check("ollama/qwen2.5:7b@q4+k_m");
    }

    private static <T> Mono<T> as(Caller caller, Mono<T> call) {
        return call.contextWrite(ReactiveSecurityContextHolder.withAuthentication(
                new UsernamePasswordAuthenticationToken(caller, null, List.of())));
    }

    @Test
    void aStarProvidersOwnModelsAreListedAfterItsNamedOnesEachOnceButOnlyToCallersAllowedDirectModels() {
        ModelCatalog catalog = catalog(DirectModels.ADMINS, provider -> provider.equals("demo")
                ? List.of("upstream-a", "listed", "upstream-b") : List.of());

        StepVerifier.create(as(ADMIN, catalog.modelsForCaller()))
                .assertNext(models -> assertThat(models).as("aliases, named models, then the upstream's, without repeats")
                        .extracting(ModelCatalog.ModelEntry::id)
                        .containsExactly("fast", "demo/listed", "demo/upstream-a", "demo/upstream-b"))
                .verifyComplete();
        StepVerifier.create(as(USER, catalog.modelsForCaller()))
                .assertNext(models -> assertThat(models).as("a caller without direct models sees none of the upstream's")
                        .extracting(ModelCatalog.ModelEntry::id).containsExactly("fast"))
                .verifyComplete();
        assertThat(catalog.isListed("demo/upstream-a")).as("an upstream's names stay out of metric labels").isFalse();
    }

    private static ModelCatalog catalog(DirectModels directModels) {
        return catalog(directModels, provider -> List.of());
    }

    private static ModelCatalog catalog(DirectModels directModels, UpstreamModels upstream) {
        ProviderProperties demo = new ProviderProperties(ProviderType.DEMO, null, List.of(), List.of("listed", "*"), 10, 10,
                Duration.ofSeconds(1), null, null, new ProviderProperties.Timeouts(Duration.ofSeconds(1),
                        Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1)), Duration.ofMillis(1),
                ReplyOptions.CapName.MAX_TOKENS, false);
        ProviderRegistry providers = new ProviderRegistry(new ProvidersProperties(Map.of("demo", demo)),
                JsonMapper.builder().build(), new ReactorResourceFactory());
        AliasesProperties aliases = new AliasesProperties(Map.of("fast",
                new AliasesProperties.AliasProperties(RouteStrategy.ORDERED, List.of("demo/listed"), null)));
        RoutingProperties routing = new RoutingProperties(1, Duration.ofMillis(200), Duration.ofSeconds(2),
                Duration.ofSeconds(30), Duration.ofSeconds(60), directModels, Duration.ofMinutes(5), Duration.ofSeconds(10));
        return new ModelCatalog(aliases, providers, routing, upstream);
    }
}
