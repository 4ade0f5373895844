package dev.sluice.gateway;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import reactor.netty.ReactorNetty;

@SpringBootApplication
@ConfigurationPropertiesScan
public class SluiceApplication {

    public static void main(String[] args) {
        oneEventLoopPerCore();
        SpringApplication.run(SluiceApplication.class, args);
    }

    /**
     * Reactor Netty runs at least four event loops by default, more than a small pod has cores: the extra threads
     * only take turns on the same cores, each turn a context switch. One per core, unless set otherwise.
     */
    private static void oneEventLoopPerCore() {
        if (System.getProperty(ReactorNetty.IO_WORKER_COUNT) == null) {
            System.setProperty(ReactorNetty.IO_WORKER_COUNT, Integer.toString(Runtime.getRuntime().availableProcessors()));
        }
    }
}
