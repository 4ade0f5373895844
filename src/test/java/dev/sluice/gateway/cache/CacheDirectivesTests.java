package dev.sluice.gateway.cache;

import java.time.Duration;
import java.util.List;

import dev.sluice.gateway.web.GatewayException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CacheDirectivesTests {

    @Test
    void noHeaderAsksNothing() {
        assertThat(CacheDirectives.parse(null)).isEqualTo(CacheDirectives.NONE);
        assertThat(CacheDirectives.parse(List.of())).isEqualTo(CacheDirectives.NONE);
        assertThat(CacheDirectives.NONE.mayLookUp()).isTrue();
        assertThat(CacheDirectives.NONE.optedIn()).isFalse();
    }

    @Test
    void directivesAreReadWhateverTheirCaseSpacingAndNumberOfHeaders() {
        CacheDirectives directives = CacheDirectives.parse(List.of("No-Cache , max-age=600", "no-store"));

        assertThat(directives.noCache()).isTrue();
        assertThat(directives.noStore()).isTrue();
        assertThat(directives.maxAge()).isEqualTo(Duration.ofMinutes(10));
        assertThat(directives.mayLookUp()).as("no-cache: not answered from the cache").isFalse();
    }

    @Test
    void maxAgeOptsInAndZeroMeansNoStoredAnswerWillDo() {
        assertThat(CacheDirectives.parse(List.of("max-age=\"60\"")).optedIn()).isTrue();
        CacheDirectives zero = CacheDirectives.parse(List.of("max-age=0"));
        assertThat(zero.optedIn()).isFalse();
        assertThat(zero.mayLookUp()).as("what a browser's reload sends").isFalse();
        assertThat(CacheDirectives.parse(List.of("max-age=60, max-age=30")).maxAge()).as("the stricter wins")
                .isEqualTo(Duration.ofSeconds(30));
        assertThat(CacheDirectives.parse(List.of("max-age=99999999999999999999")).maxAge()).as("huge is for ever, not an error")
                .isGreaterThan(Duration.ofDays(365 * 1000));
    }

    @Test
    void directivesThatMeanNothingToAChatAreIgnored() {
        assertThat(CacheDirectives.parse(List.of("no-transform, private, stale-if-error=5"))).isEqualTo(CacheDirectives.NONE);
    }

    @Test
    void aMalformedMaxAgeIsABadRequestNamingTheHeader() {
        for (String bad : List.of("max-age", "max-age=", "max-age=-1", "max-age=1.5", "max-age=soon")) {
            assertThatThrownBy(() -> CacheDirectives.parse(List.of(bad))).as(bad)
                    .isInstanceOf(GatewayException.class).hasMessageStartingWith("Cache-Control: max-age must be");
        }
        assertThatThrownBy(() -> CacheDirectives.parse(List.of("x".repeat(2000))))
                .isInstanceOf(GatewayException.class).hasMessageContaining("longer than");
    }
}
