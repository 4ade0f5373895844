package dev.sluice.gateway.config;

import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import org.springframework.boot.r2dbc.autoconfigure.ConnectionFactoryOptionsBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.ReactorResourceFactory;

/**
 * PostgreSQL connections on the HTTP server's event loops. Left alone, the driver runs a second set of event
 * loops, and every request that reads the database finishes on one of those threads: twice the threads the
 * cores can run, and a wake-up of another thread for each query. Other drivers (H2) ignore the option.
 */
@Configuration(proxyBeanMethods = false)
class DatabaseEventLoops {

    @Bean
    ConnectionFactoryOptionsBuilderCustomizer databaseOnServerEventLoops(ReactorResourceFactory resources) {
        return options -> options.option(PostgresqlConnectionFactoryProvider.LOOP_RESOURCES, resources.getLoopResources());
    }
}
