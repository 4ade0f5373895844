# syntax=docker/dockerfile:1
# Sluice gateway image: built with the Maven wrapper, run from Spring Boot's layered jar on a JRE as a
# non-root user. `docker build -t sluice-gateway .` (docker-compose.yml builds it as well).

FROM eclipse-temurin:17-jdk AS build
WORKDIR /workspace
COPY mvnw pom.xml ./
COPY .mvn .mvn
COPY src/main src/main
# The Maven repository is a BuildKit cache, so a code change does not download every dependency again.
# Tests run in CI (`./mvnw verify`), not in the image build: they need PostgreSQL, Redis and nginx.
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -q -Dmaven.test.skip=true package \
 && cp target/sluice-gateway-*.jar app.jar \
 && java -Djarmode=tools -jar app.jar extract --layers --destination extracted

FROM eclipse-temurin:17-jre
# A fixed numeric id, so that Kubernetes can check runAsNonRoot without a user database.
RUN groupadd --system --gid 10001 sluice \
 && useradd --system --uid 10001 --gid sluice --home-dir /app --shell /usr/sbin/nologin sluice
WORKDIR /app
# Layers from the least to the most often changed: a code change rebuilds only the last one.
COPY --from=build /workspace/extracted/dependencies/ ./
COPY --from=build /workspace/extracted/spring-boot-loader/ ./
COPY --from=build /workspace/extracted/snapshot-dependencies/ ./
COPY --from=build /workspace/extracted/application/ ./
# ./data holds the embedded default's H2 file, for a container run without DATABASE_URL.
RUN mkdir -p /app/data && chown sluice:sluice /app/data
USER 10001:10001

ENV SERVER_PORT=8080
EXPOSE 8080
# Container-aware heap: a share of the memory limit instead of a share of the host's memory; an
# OutOfMemoryError ends the process so that the orchestrator restarts it instead of leaving it half-alive.
# G1 by name: under a limit below 2 CPUs or 1792 MB the JVM would pick SerialGC, whose stop-the-world full
# collections stall every stream at once; G1 keeps pauses short with the heap this image runs with.
# Extra flags: JAVA_TOOL_OPTIONS.
ENTRYPOINT ["java", "-XX:+UseG1GC", "-XX:MaxRAMPercentage=75", "-XX:InitialRAMPercentage=50", \
            "-XX:+ExitOnOutOfMemoryError", "-jar", "app.jar"]

# Liveness (/health = /actuator/health/liveness) without curl in the image: bash's /dev/tcp.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${SERVER_PORT:-8080} && printf 'GET /health HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
