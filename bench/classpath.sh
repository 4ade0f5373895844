#!/usr/bin/env bash
# Compiles main and test classes (bench/src is a test source root) and prints a classpath, absolute paths:
#   bench/classpath.sh           target/test-classes:target/classes:<test dependencies>   (FakeUpstream, LoadClient)
#   bench/classpath.sh runtime   target/classes:<runtime dependencies>                    (the gateway alone,
#                                without test resources or test-only jars on its classpath)
# Runs Maven in the project it lives in: run it in a copy when others build in the same tree.
set -euo pipefail
cd "$(dirname "$0")/.."
scope=${1:-test}
case "$scope" in
  test)
    ./mvnw -q test-compile dependency:build-classpath \
        -DincludeScope=test -Dmdep.outputFile=target/bench.classpath >&2
    echo "$PWD/target/test-classes:$PWD/target/classes:$(cat target/bench.classpath)"
    ;;
  runtime)
    ./mvnw -q compile dependency:build-classpath \
        -DincludeScope=runtime -Dmdep.outputFile=target/gateway.classpath >&2
    echo "$PWD/target/classes:$(cat target/gateway.classpath)"
    ;;
  *)
    echo "usage: $0 [test|runtime]" >&2
    exit 2
    ;;
esac
