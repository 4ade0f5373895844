package dev.sluice.gateway.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.sluice.gateway.config.ProductionEnvironment;
import org.junit.jupiter.api.Test;
import org.springframework.boot.convert.DurationStyle;
import org.yaml.snakeyaml.Yaml;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The deployment kit (Dockerfile, docker-compose.yml, k8s/, deploy/, .env.example) parsed and checked against
 * the application: required fields, probes on real endpoints, ports, labels and names that match, every
 * environment variable bound by a real property, and grace periods that cover the stream grace.
 * {@code DeploymentProbesIT} calls every probe path found here on a running gateway.
 */
class DeploymentFilesTests {

    static final int APP_PORT = 8080;
    /** The paths the gateway serves for probes and scraping (DeploymentProbesIT asks each of them). */
    static final Set<String> PROBE_PATHS = Set.of("/health", "/ready", "/actuator/health/liveness",
            "/actuator/health/readiness", "/actuator/prometheus");
    private static final Pattern INTERPOLATION = Pattern.compile("\\$\\{([A-Z0-9_]+)(?::?[-?]([^}]*))?}");

    // --- docker compose -----------------------------------------------------------------------------------

    @Test
    void composeRunsEveryServiceOfTheProductionQuickStart() {
        Map<String, Object> services = map(compose(), "services");
        assertThat(services).as("docker-compose.yml services")
                .containsKeys("gateway", "postgres", "redis", "prometheus", "grafana", "nginx");
        Map<String, Object> gateway = map(services, "gateway");
        assertThat(gateway.get("build")).as("the gateway is built from the Dockerfile").isEqualTo(".");
        assertThat(map(gateway, "deploy").get("replicas")).as("two gateway replicas").isEqualTo(2);
        assertThat(gateway).as("replicas cannot share a container name or a host port").doesNotContainKeys("container_name", "ports");
        assertThat(strings(gateway.get("expose"))).containsExactly(String.valueOf(APP_PORT));
        for (Map.Entry<String, Object> service : services.entrySet()) {
            Map<String, Object> definition = asMap(service.getValue());
            assertThat(definition.containsKey("image") || definition.containsKey("build"))
                    .as(service.getKey() + " has an image or a build").isTrue();
            for (String volume : strings(definition.getOrDefault("volumes", List.of()))) {
                if (volume.startsWith("./")) {
                    assertThat(Path.of(volume.substring(0, volume.indexOf(':')))).as(service.getKey() + " mounts an existing path").exists();
                }
            }
        }
    }

    @Test
    void composeGatewayReachesPostgresAndRedisOfThisFileAndTrustsOnlyNginx() {
        Map<String, Object> services = map(compose(), "services");
        Map<String, String> environment = composeGatewayEnvironment();
        Map<String, Object> database = ProductionEnvironment.databaseProperties(environment.get("DATABASE_URL"));
        assertThat((String) database.get("spring.r2dbc.url")).as("DATABASE_URL names the postgres service and its database")
                .isEqualTo("r2dbc:postgresql://postgres:5432/" + map(services, "postgres", "environment").get("POSTGRES_DB"));
        assertThat(database.get("spring.r2dbc.username")).isEqualTo(map(services, "postgres", "environment").get("POSTGRES_USER"));
        assertThat(URI.create(environment.get("REDIS_URL")).getHost()).isEqualTo("redis");
        assertThat(environment.get("SLUICE_AUTH_JWT_SECRET")).as("the JWT secret is required (prod refuses to start without)")
                .isNotBlank();

        String nginxAddress = (String) map(services, "nginx", "networks", "sluice").get("ipv4_address");
        String subnet = (String) asMap(((List<?>) map(compose(), "networks", "sluice", "ipam").get("config")).get(0)).get("subnet");
        assertThat(inBlock(nginxAddress, subnet)).as("nginx's fixed address is in the network").isTrue();
        assertThat(environment.get("SLUICE_LIMITS_TRUSTED_PROXIES").split(","))
                .as("the gateway believes X-Forwarded-For from nginx, and only from it").containsExactly(nginxAddress + "/32");
    }

    @Test
    void composeGivesStreamsTheirGraceBeforeStoppingAGateway() {
        Map<String, Object> gateway = map(compose(), "services", "gateway");
        Map<String, String> environment = composeGatewayEnvironment();
        Duration streams = DurationStyle.detectAndParse(environment.get("SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE"));
        Duration stop = DurationStyle.detectAndParse((String) gateway.get("stop_grace_period"));
        assertThat(stop).as("stop_grace_period covers the stream grace and the history flush")
                .isGreaterThan(streams.plus(historyShutdownWait(environment)));
    }

    @Test
    void composeHealthChecksAndScrapesHitRealEndpointsOnTheAppPort() throws IOException {
        Map<String, Object> services = map(compose(), "services");
        String gatewayCheck = String.join(" ", strings(map(services, "gateway", "healthcheck").get("test")));
        assertThat(probePaths(gatewayCheck)).as("the gateway's health check").containsExactly("/ready");
        assertThat(gatewayCheck).contains("/" + APP_PORT);
        assertThat(probePaths(Files.readString(Path.of("Dockerfile")))).as("the image's HEALTHCHECK").containsExactly("/health");

        assertThat(strings(map(services, "nginx").get("volumes"))).contains("./nginx/nginx.conf:/etc/nginx/nginx.conf:ro");
        assertThat(strings(map(services, "nginx").get("ports"))).containsExactly("8080:8080");
        assertThat(Files.readString(Nginx.CONFIG)).contains("listen 8080;", "server gateway:" + APP_PORT + " ");
        assertThat(String.join(" ", strings(map(services, "nginx", "healthcheck").get("test")))).contains("8080/nginx-health");

        Map<String, Object> prometheus = new Yaml().load(Files.readString(Path.of("deploy/prometheus/prometheus.yml")));
        Map<String, Object> job = asMap(((List<?>) prometheus.get("scrape_configs")).get(0));
        assertThat(job.get("metrics_path")).isEqualTo("/actuator/prometheus");
        Map<String, Object> discovery = asMap(((List<?>) job.get("dns_sd_configs")).get(0));
        assertThat(strings(discovery.get("names"))).as("Prometheus finds every gateway replica").containsExactly("gateway");
        assertThat(discovery.get("port")).isEqualTo(APP_PORT);
        assertThat(strings(map(services, "prometheus").get("volumes")))
                .contains("./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro");
    }

    @Test
    void grafanaIsProvisionedWithPrometheusAndTheSluiceDashboard() throws IOException {
        Map<String, Object> grafana = map(compose(), "services", "grafana");
        Map<String, Object> datasources = new Yaml().load(Files.readString(Path.of("deploy/grafana/provisioning/datasources/prometheus.yml")));
        Map<String, Object> datasource = asMap(((List<?>) datasources.get("datasources")).get(0));
        assertThat(datasource.get("url")).as("the datasource is compose's prometheus service").isEqualTo("http://prometheus:9090");
        Map<String, Object> providers = new Yaml().load(Files.readString(Path.of("deploy/grafana/provisioning/dashboards/sluice.yml")));
        String dashboardsPath = (String) asMap(asMap(((List<?>) providers.get("providers")).get(0)).get("options")).get("path");
        assertThat(strings(grafana.get("volumes"))).contains("./deploy/grafana/dashboards:" + dashboardsPath + ":ro",
                "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro");

        String dashboard = Files.readString(Path.of("deploy/grafana/dashboards/sluice.json"));
        tools.jackson.databind.JsonNode json = tools.jackson.databind.json.JsonMapper.builder().build().readTree(dashboard);
        assertThat(json.path("uid").asString()).isEqualTo("sluice");
        assertThat(json.path("panels").size()).as("panels").isGreaterThan(5);
        json.path("panels").forEach(panel -> {
            assertThat(panel.path("datasource").path("uid").asString()).as(panel.path("title").asString())
                    .isEqualTo(datasource.get("uid"));
            panel.path("targets").forEach(target -> assertThat(target.path("expr").asString())
                    .as("every query reads the gateways' scrape job").contains("job=\"sluice\""));
        });
        Map<String, Object> scrape = new Yaml().load(Files.readString(Path.of("deploy/prometheus/prometheus.yml")));
        assertThat(asMap(((List<?>) scrape.get("scrape_configs")).get(0)).get("job_name")).isEqualTo("sluice");
    }

    // --- Kubernetes -----------------------------------------------------------------------------------------

    @Test
    void everyManifestHasTheFieldsKubernetesRequiresAndKustomizeAppliesThemAll() throws IOException {
        List<Map<String, Object>> manifests = manifests();
        assertThat(manifests).extracting(manifest -> manifest.get("kind")).contains("Deployment", "Service", "ConfigMap",
                "Secret", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress", "ServiceMonitor");
        for (Map<String, Object> manifest : manifests) {
            assertThat(manifest).as("manifest " + manifest.get("kind")).containsKeys("apiVersion", "kind", "metadata");
            assertThat((String) map(manifest, "metadata").get("name")).as(manifest.get("kind") + " has a name").isNotBlank();
        }
        Map<String, Object> kustomization = new Yaml().load(Files.readString(Path.of("k8s/kustomization.yaml")));
        List<String> resources = strings(kustomization.get("resources"));
        try (Stream<Path> files = Files.list(Path.of("k8s"))) {
            Set<String> manifestFiles = files.map(file -> file.getFileName().toString())
                    .filter(name -> name.endsWith(".yaml") && !name.equals("kustomization.yaml"))
                    .filter(name -> !name.equals("secret.example.yaml") && !name.equals("prometheus-adapter-values.yaml"))
                    .collect(Collectors.toCollection(TreeSet::new));
            assertThat(resources).as("kustomization.yaml applies every manifest").containsExactlyInAnyOrderElementsOf(manifestFiles);
        }
    }

    @Test
    void deploymentProbesHitRealEndpointsOnTheContainerPort() {
        Map<String, Object> container = container();
        List<Map<String, Object>> ports = maps(container.get("ports"));
        assertThat(ports).hasSize(1);
        assertThat(ports.get(0)).containsEntry("name", "http").containsEntry("containerPort", APP_PORT);
        assertThat(kubernetesEnvironment().get("SERVER_PORT")).isEqualTo(String.valueOf(APP_PORT));
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            Map<String, Object> get = map(container, probe, "httpGet");
            assertThat(get.get("port")).as(probe + " port").isEqualTo("http");
            assertThat((String) get.get("path")).as(probe + " path").isIn(PROBE_PATHS);
        }
        assertThat(map(container, "readinessProbe", "httpGet").get("path")).isEqualTo("/actuator/health/readiness");
        assertThat(map(container, "livenessProbe", "httpGet").get("path")).isEqualTo("/actuator/health/liveness");
        assertThat(map(container, "resources", "requests")).containsKeys("cpu", "memory");
        assertThat(map(container, "resources", "limits")).containsKey("memory");
    }

    @Test
    void terminationGracePeriodCoversPreStopStreamsAndTheHistoryFlush() {
        Map<String, Object> pod = map(manifest("Deployment"), "spec", "template", "spec");
        List<String> preStop = strings(map(container(), "lifecycle", "preStop", "exec").get("command"));
        assertThat(preStop).hasSize(2).startsWith("sleep");
        Duration pause = Duration.ofSeconds(Long.parseLong(preStop.get(1)));
        Map<String, String> environment = kubernetesEnvironment();
        Duration streams = DurationStyle.detectAndParse(environment.get("SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE"));
        Duration grace = Duration.ofSeconds(((Number) pod.get("terminationGracePeriodSeconds")).longValue());
        assertThat(grace).as("terminationGracePeriodSeconds above preStop + stream grace + history flush")
                .isGreaterThan(pause.plus(streams).plus(historyShutdownWait(environment)));
    }

    @Test
    void deploymentRunsAsTheImagesNonRootUserFromTheConfigMapAndSecret() throws IOException {
        Map<String, Object> pod = map(manifest("Deployment"), "spec", "template", "spec");
        Matcher user = Pattern.compile("(?m)^USER (\\d+)").matcher(Files.readString(Path.of("Dockerfile")));
        assertThat(user.find()).as("the Dockerfile switches to a numeric non-root user").isTrue();
        assertThat(map(pod, "securityContext")).containsEntry("runAsNonRoot", true)
                .containsEntry("runAsUser", Integer.parseInt(user.group(1)));
        List<Map<String, Object>> sources = maps(container().get("envFrom"));
        assertThat(sources).extracting(source -> source.containsKey("configMapRef") ? map(source, "configMapRef").get("name")
                : map(source, "secretRef").get("name"))
                .containsExactlyInAnyOrder(name("ConfigMap"), name("Secret"));
    }

    @Test
    void serviceMonitorHpaPdbAndIngressPointAtTheDeploymentAndItsService() {
        Map<String, Object> deployment = manifest("Deployment");
        Map<String, Object> podLabels = map(deployment, "spec", "template", "metadata", "labels");
        assertThat(podLabels).as("the Deployment selects its own pods")
                .containsAllEntriesOf(map(deployment, "spec", "selector", "matchLabels"));
        Map<String, Object> service = manifest("Service");
        assertThat(podLabels).as("the Service selects the pods").containsAllEntriesOf(map(service, "spec", "selector"));
        List<Map<String, Object>> servicePorts = maps(map(service, "spec").get("ports"));
        assertThat(servicePorts).extracting(port -> port.get("targetPort")).containsExactly("http");
        assertThat(podLabels).as("the PodDisruptionBudget covers the pods")
                .containsAllEntriesOf(map(manifest("PodDisruptionBudget"), "spec", "selector", "matchLabels"));

        Map<String, Object> monitor = manifest("ServiceMonitor");
        assertThat(map(monitor, "metadata", "labels")).as("kube-prometheus-stack selects ServiceMonitors by release")
                .containsKey("release");
        assertThat(map(service, "metadata", "labels")).containsAllEntriesOf(map(monitor, "spec", "selector", "matchLabels"));
        Map<String, Object> endpoint = maps(map(monitor, "spec").get("endpoints")).get(0);
        assertThat(endpoint).containsEntry("path", "/actuator/prometheus").containsEntry("port", servicePorts.get(0).get("name"));

        Map<String, Object> hpa = map(manifest("HorizontalPodAutoscaler"), "spec");
        assertThat(map(hpa, "scaleTargetRef")).containsEntry("kind", "Deployment").containsEntry("name", name("Deployment"));
        assertThat((Integer) hpa.get("minReplicas")).isGreaterThanOrEqualTo(2).isLessThan((Integer) hpa.get("maxReplicas"));
        List<Map<String, Object>> metrics = maps(hpa.get("metrics"));
        assertThat(metrics).extracting(metric -> metric.get("type")).containsExactlyInAnyOrder("Resource", "Pods");
        assertThat(metrics).filteredOn(metric -> "Resource".equals(metric.get("type")))
                .extracting(metric -> map(metric, "resource").get("name")).containsExactly("cpu");
        String streamMetric = (String) map(metrics.stream().filter(metric -> "Pods".equals(metric.get("type"))).findFirst().orElseThrow(),
                "pods", "metric").get("name");
        assertThat(adapterMetricNames()).as("the Prometheus Adapter publishes the HPA's stream metric").contains(streamMetric);

        Map<String, Object> ingress = manifest("Ingress");
        for (Map<String, Object> rule : maps(map(ingress, "spec").get("rules"))) {
            for (Map<String, Object> path : maps(map(rule, "http").get("paths"))) {
                assertThat(map(path, "backend", "service")).containsEntry("name", name("Service"))
                        .containsEntry("port", Map.of("name", servicePorts.get(0).get("name")));
                assertThat((String) path.get("path")).as("the Ingress never exposes /actuator").doesNotStartWith("/actuator");
            }
        }
    }

    @Test
    void ingressIsSafeForServerSentEvents() {
        Map<String, Object> annotations = map(manifest("Ingress"), "metadata", "annotations");
        String prefix = "nginx.ingress.kubernetes.io/";
        assertThat(annotations).containsEntry(prefix + "proxy-buffering", "off").containsEntry(prefix + "proxy-http-version", "1.1");
        Duration heartbeat = DurationStyle.detectAndParse(kubernetesEnvironment().get("SLUICE_CHAT_HEARTBEAT"));
        assertThat(Long.parseLong((String) annotations.get(prefix + "proxy-read-timeout")))
                .as("a stream idle between heartbeats is never cut").isGreaterThan(4 * heartbeat.toSeconds());
        assertThat(annotations.get(prefix + "proxy-body-size")).as("the same body limit as the gateway")
                .isEqualTo(NginxConfigTests.nginxSize(kubernetesEnvironment().get("SLUICE_WEB_MAX_BODY_SIZE")));
        assertThat((String) annotations.get(prefix + "proxy-next-upstream")).doesNotContain("non_idempotent");
    }

    // --- environment variables ----------------------------------------------------------------------------

    @Test
    void everyVariableOfEveryDeploymentIsARealSetting() {
        Map<String, Map<String, String>> deployments = new LinkedHashMap<>();
        deployments.put(".env.example", envExample());
        deployments.put("docker-compose.yml (gateway, with .env.example)", composeGatewayEnvironment());
        deployments.put("k8s (ConfigMap, Secret, Deployment)", kubernetesEnvironment());
        Set<String> springProperties = Settings.metadataPropertyNames();
        Set<String> springVariables = springProperties.stream().map(Settings::environmentName).collect(Collectors.toSet());
        for (Map.Entry<String, Map<String, String>> deployment : deployments.entrySet()) {
            assertThat(Settings.unboundSluiceVariables(deployment.getValue()))
                    .as(deployment.getKey() + ": SLUICE_* variables that no @ConfigurationProperties property takes").isEmpty();
            List<String> unknown = new ArrayList<>();
            for (String variable : deployment.getValue().keySet()) {
                boolean known = variable.startsWith("SLUICE_") || Settings.PLATFORM.contains(variable)
                        || springVariables.contains(variable) || isResilience4j(variable) || composeOnly(variable);
                if (!known) {
                    unknown.add(variable);
                }
            }
            assertThat(unknown).as(deployment.getKey() + ": variables that are no Spring Boot, Sluice or platform setting").isEmpty();
        }
    }

    @Test
    void envExampleListsEverySetting() {
        Set<String> listed = Settings.readEnvFile(Path.of(".env.example"), true).keySet();
        List<String> missing = Settings.everySluiceSetting().entrySet().stream()
                .filter(setting -> listed.stream().noneMatch(name -> setting.getValue().matcher(name).matches()))
                .map(Map.Entry::getKey).toList();
        assertThat(missing).as(".env.example lists every sluice setting (a #commented line counts)").isEmpty();
        assertThat(listed).as("and the settings every deployment needs")
                .contains("DATABASE_URL", "REDIS_URL", "SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE", "SERVER_PORT");
    }

    // --- helpers ------------------------------------------------------------------------------------------

    private static boolean isResilience4j(String variable) {
        return variable.startsWith("RESILIENCE4J_CIRCUITBREAKER_CONFIGS_") || variable.startsWith("RESILIENCE4J_CIRCUITBREAKER_INSTANCES_");
    }

    /** Read by docker-compose.yml itself (interpolation), not by the gateway. */
    private static boolean composeOnly(String variable) {
        return Set.of("POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD").contains(variable);
    }

    private static Map<String, String> envExample() {
        return Settings.readEnvFile(Path.of(".env.example"), false);
    }

    /** What the gateway container gets: .env (here .env.example) overridden by the compose file's environment, interpolated. */
    static Map<String, String> composeGatewayEnvironment() {
        Map<String, String> dotEnv = envExample();
        Map<String, String> environment = new LinkedHashMap<>(dotEnv);
        map(compose(), "services", "gateway", "environment").forEach((name, value) -> {
            Matcher matcher = INTERPOLATION.matcher(String.valueOf(value));
            StringBuilder resolved = new StringBuilder();
            while (matcher.find()) {
                String replacement = dotEnv.getOrDefault(matcher.group(1), matcher.group(2) == null ? "" : matcher.group(2));
                matcher.appendReplacement(resolved, Matcher.quoteReplacement(replacement));
            }
            matcher.appendTail(resolved);
            environment.put(name, resolved.toString());
        });
        return environment;
    }

    static Map<String, String> kubernetesEnvironment() {
        Map<String, String> environment = new LinkedHashMap<>();
        map(manifest("ConfigMap"), "data").forEach((name, value) -> environment.put(name, String.valueOf(value)));
        map(manifest("Secret"), "stringData").forEach((name, value) -> environment.put(name, String.valueOf(value)));
        maps(container().getOrDefault("env", List.of())).forEach(variable ->
                environment.put((String) variable.get("name"), String.valueOf(variable.get("value"))));
        return environment;
    }

    private static Duration historyShutdownWait(Map<String, String> environment) {
        return DurationStyle.detectAndParse(environment.getOrDefault("SLUICE_HISTORY_SHUTDOWN_WAIT", "10s"));
    }

    private static Set<String> probePaths(String text) {
        Matcher matcher = Pattern.compile("GET (/[a-z/]*)").matcher(text);
        Set<String> paths = new TreeSet<>();
        while (matcher.find()) {
            assertThat(matcher.group(1)).as("probe path in " + text).isIn(PROBE_PATHS);
            paths.add(matcher.group(1));
        }
        return paths;
    }

    private static Set<String> adapterMetricNames() {
        try {
            Map<String, Object> values = new Yaml().load(Files.readString(Path.of("k8s/prometheus-adapter-values.yaml")));
            return maps(map(values, "rules").get("custom")).stream().map(rule -> (String) map(rule, "name").get("as"))
                    .collect(Collectors.toSet());
        }
        catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
    }

    /** An IPv4 address inside a CIDR block. */
    private static boolean inBlock(String address, String block) {
        String[] parts = block.split("/");
        int bits = Integer.parseInt(parts[1]);
        long mask = bits == 0 ? 0 : 0xFFFFFFFFL << (32 - bits) & 0xFFFFFFFFL;
        return (ipv4(address) & mask) == (ipv4(parts[0]) & mask);
    }

    private static long ipv4(String address) {
        long value = 0;
        for (String octet : address.split("\\.")) {
            value = value << 8 | Integer.parseInt(octet);
        }
        return value;
    }

    static Map<String, Object> compose() {
        try {
            return new Yaml().load(Files.readString(Path.of("docker-compose.yml")));
        }
        catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
    }

    static List<Map<String, Object>> manifests() {
        List<Map<String, Object>> manifests = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of("k8s"))) {
            for (Path file : files.filter(path -> path.toString().endsWith(".yaml")).sorted().toList()) {
                String name = file.getFileName().toString();
                if (name.equals("kustomization.yaml") || name.equals("prometheus-adapter-values.yaml")) {
                    continue;
                }
                for (Object document : new Yaml().loadAll(Files.readString(file))) {
                    if (document != null) {
                        manifests.add(asMap(document));
                    }
                }
            }
        }
        catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
        return manifests;
    }

    static Map<String, Object> manifest(String kind) {
        List<Map<String, Object>> found = manifests().stream().filter(manifest -> kind.equals(manifest.get("kind"))).toList();
        assertThat(found).as("one " + kind + " in k8s/").hasSize(1);
        return found.get(0);
    }

    private static String name(String kind) {
        return (String) map(manifest(kind), "metadata").get("name");
    }

    static Map<String, Object> container() {
        List<Map<String, Object>> containers = maps(map(manifest("Deployment"), "spec", "template", "spec").get("containers"));
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    static Map<String, Object> map(Object from, String... path) {
        Object current = from;
        for (String key : path) {
            assertThat(current).as("'" + key + "' in " + String.join(".", path)).isInstanceOf(Map.class);
            current = ((Map<?, ?>) current).get(key);
            assertThat(current).as(String.join(".", path) + ": '" + key + "' is set").isNotNull();
        }
        return asMap(current);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Object value) {
        assertThat(value).isInstanceOf(Map.class);
        return new HashMap<>((Map<String, Object>) value);
    }

    static List<Map<String, Object>> maps(Object value) {
        assertThat(value).isInstanceOf(List.class);
        return ((List<?>) value).stream().map(DeploymentFilesTests::asMap).toList();
    }

    static List<String> strings(Object value) {
        assertThat(value).isInstanceOf(List.class);
        return ((List<?>) value).stream().map(String::valueOf).toList();
    }
}
