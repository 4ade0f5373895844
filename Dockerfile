# syntax=docker/dockerfile:1
# Sluice gateway image: the jar built with the Maven wrapper on JDK 17 (Java 17 bytecode), run from Spring Boot's
# extracted jar on a Java 25 JRE with an ahead-of-time cache trained while the image is built, as a non-root user.
# `docker build -t sluice-gateway .` (docker-compose.yml builds it as well). Why Java 25 and the cache: README,
# "Container image and JVM".

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
# The training run's fake upstream and load client (bench/), compiled against the gateway's own libraries. They
# never reach the final image.
COPY bench/src/dev/sluice/bench bench/src/dev/sluice/bench
RUN javac --release 17 -d bench-classes -cp 'extracted/dependencies/lib/*' \
      bench/src/dev/sluice/bench/Durations.java bench/src/dev/sluice/bench/Script.java \
      bench/src/dev/sluice/bench/FakeUpstream.java bench/src/dev/sluice/bench/LoadClient.java

# What the training stage and the final image share: the JRE, the user, the extracted jar, the JVM's options.
# The AOT cache only holds for the same JVM, the same jars (paths, sizes, times) and compatible options.
FROM eclipse-temurin:25-jre AS runtime
# A fixed numeric id, so that Kubernetes can check runAsNonRoot without a user database.
RUN groupadd --system --gid 10001 sluice \
 && useradd --system --uid 10001 --gid sluice --home-dir /app --shell /usr/sbin/nologin sluice
WORKDIR /app
# Layers from the least to the most often changed: a code change rebuilds only the last ones.
COPY --from=build /workspace/extracted/dependencies/ ./
COPY --from=build /workspace/extracted/spring-boot-loader/ ./
COPY --from=build /workspace/extracted/snapshot-dependencies/ ./
COPY --from=build /workspace/extracted/application/ ./
# The JVM's options, one a line, read by the entrypoint and by the training run alike (`java @jvm.options`):
# - a heap that may grow to 75% of the container's memory limit (not of the host's), from the JVM's small default
#   start: a gateway keeps little alive (about 50 MB warm), and a large initial heap is resident memory for nothing
#   (an initial 50% measured 110 MB more RSS under load);
# - G1 by name: under a limit below 2 CPUs or 1792 MB the JVM would pick SerialGC, whose stop-the-world full
#   collections stall every stream at once (measured: three in 5 minutes of W1, about 200 ms each on a busy
#   machine, for 6% less CPU per request and 50 MB less RSS than G1; README, "Container image and JVM");
# - an OutOfMemoryError ends the process, so that the orchestrator restarts it instead of leaving it half-alive;
# - Netty loads its native transport (epoll) through System.loadLibrary, which Java 25 otherwise warns about;
# - four JIT compiler threads, not the two a 2-CPU container gets (one C1, one C2): a replica added under load
#   compiles its hot path in seconds instead of half a minute, then the threads idle (measured: 77 % of the warm
#   throughput in the first 30 s after readiness against 60-65 % with two; README, "Container image and JVM").
# Extra flags: JAVA_TOOL_OPTIONS (a garbage collector or object-header setting other than these makes the JVM
# ignore the AOT cache, with a warning).
COPY <<EOF /app/jvm.options
-XX:+UseG1GC
-XX:MaxRAMPercentage=75
-XX:+ExitOnOutOfMemoryError
--enable-native-access=ALL-UNNAMED
-XX:CICompilerCount=4
EOF
# ./data holds the embedded default's H2 file, for a container run without DATABASE_URL.
RUN mkdir -p /app/data && chown sluice:sluice /app/data

# The training run (bench/aot-train.sh): the gateway in production mode on a PostgreSQL and a Redis of this stage,
# against the fake upstream, serves 20,000 non-streaming and 20,000 streaming chats with -XX:AOTCacheOutput, then
# stops; the JVM writes what it loaded, linked and profiled (JEP 483, 514, 515) to /app/app.aot. A replica started
# from it skips that work: classes come ready, and the JIT compiles the hot path from the recorded profiles.
# The heap is fixed here (the build has no memory limit), below 32 GB: compressed pointers on, as in a container.
FROM runtime AS training
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql redis-server curl jq \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /workspace/bench-classes /train/classes
COPY bench/lib.sh bench/aot-train.sh bench/logback.xml /train/bench/
RUN pg_ctlcluster "$(ls /etc/postgresql)" main start \
 && su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'training'\"" \
 && redis-server --daemonize yes --bind 127.0.0.1 --save '' --appendonly no \
 && CP='/train/classes:/app/lib/*' LOG_DIR=/tmp/training \
    DATABASE_URL=postgres://postgres:training@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 \
    /train/bench/aot-train.sh /app/app.aot /app/app.jar @/app/jvm.options -Xmx768m

FROM runtime
COPY --from=training /app/app.aot /app/app.aot
USER 10001:10001

ENV SERVER_PORT=8080
EXPOSE 8080
ENTRYPOINT ["java", "@/app/jvm.options", "-XX:AOTCache=/app/app.aot", "-jar", "/app/app.jar"]

# Liveness (/health = /actuator/health/liveness) without curl in the image: bash's /dev/tcp.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${SERVER_PORT:-8080} && printf 'GET /health HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
