package dev.sluice.gateway.conversation;

import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.r2dbc.core.DatabaseClient;

/** Conversation history on the application's database, written behind the request path. */
@Configuration(proxyBeanMethods = false)
class HistoryConfiguration {

    @Bean
    HistoryWriter historyWriter(DatabaseClient database, HistoryProperties properties, MeterRegistry registry) {
        return new HistoryWriter(new HistoryStore(database), properties, registry);
    }

    @Bean
    Conversations conversations(DatabaseClient database, HistoryWriter writer, HistoryProperties properties) {
        return new Conversations(database, writer, properties);
    }
}
