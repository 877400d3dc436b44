#!/usr/bin/env bash
# shellcheck disable=SC2046,SC2086  # ids, pids and paths here hold no spaces: split on purpose
# The docker-compose deployment, run for real: the production docker-compose.yml (with
# .ci/docker-compose.ci.yml on top) starts, ingests, heals and stops cleanly.
#
#   scripts/compose-test.sh             the whole run, as root (.ci/run runs it after check.sh)
#   scripts/compose-test.sh --install   only install the Debian packages it needs
#
# No image registry is needed: Debian's docker.io, docker-compose (v1) and debootstrap; a
# dockerd of its own with no bridge and no iptables, every folder (data, exec root, socket,
# pidfile) under one temporary directory; a base image made by debootstrap (cached); the
# pipeline image built with --network=none from a wheelhouse made on the host; containers on
# the host network, so every connection stays on 127.0.0.1. An EXIT trap removes everything
# it made, even on failure, then checks that nothing of it is left. With CI=true it never
# skips. Each phase prints its time; the run fails past its budget. The last line is
#   compose: N services healthy in T s; replay X articles/s in containers, Y outside
#
# Environment: COMPOSE_TEST_CACHE (default ~/.cache/news-pipeline: the debootstrap rootfs
# and the dependencies' wheels, made again after 7 days), COMPOSE_TEST_BUDGET_S (1500), COMPOSE_TEST_KILL_RECOVERY_S (120: the
# longest a SIGKILLed worker's batch may take to land), COMPOSE_TEST_PHASES="engine ..." (run
# only these, for development; refused under CI=true). Phases are functions named phase_*,
# run in the order of PHASES below: a new part of the stack adds its own.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${COMPOSE_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/news-pipeline}
BUDGET_S=${COMPOSE_TEST_BUDGET_S:-1500}
KILL_RECOVERY_S=${COMPOSE_TEST_KILL_RECOVERY_S:-120}
BASE_MAX_AGE_DAYS=7
SUITE=bookworm
BASE_PACKAGES=python3,python3-venv,redis-server,ca-certificates
PROJECT=news-pipeline-ci-$$
BASE_IMAGE=news-pipeline-base:ci
PIPELINE_IMAGE=news-pipeline:ci
REDIS_IMAGE=news-pipeline-redis:ci
PROMETHEUS_IMAGE=news-pipeline-prometheus:ci
DOCKER=/usr/bin/docker # Debian's client, the same version as its daemon
PY=$ROOT/.venv/bin/python
PIPELINE=$ROOT/.venv/bin/pipeline
GENERATED=1000 # articles replayed in and outside containers for the throughput figures

PHASES=(engine base_image wheelhouse images preflight up feeds replay scale_and_metrics
    monitoring worker_kill redis_recreate upgrade stop outside)

unset COMPOSE_FILE COMPOSE_PROJECT_NAME COMPOSE_PROFILES DOCKER_CONTEXT

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
say() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }
fail() {
    printf 'compose-test: FAILED: %s\n' "$*" >&2
    exit 1
}
figure() { # a measured figure: said now, and repeated before the last line
    FIGURES+=("$1")
    say "figure: $1"
}
skip_or_fail() { # a machine that cannot run Docker: a failure under CI, a skip elsewhere
    if [[ ${CI:-} == true ]]; then fail "$*"; fi
    say "compose-test: SKIPPED (CI is not true): $*"
    exit 0
}

# --- Debian packages ----------------------------------------------------------------------

install_packages() {
    local missing=() package guard='' rc=0
    for package in docker.io docker-compose debootstrap; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' ||
            missing+=("$package")
    done
    ((${#missing[@]})) || return 0
    [[ $(id -u) == 0 ]] || skip_or_fail "installing ${missing[*]} needs root"
    say "installing ${missing[*]} (Debian packages; services are not started)"
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then # apt must not start dockerd or containerd
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        guard=1
    fi
    local log
    log=$(mktemp)
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${missing[@]}"; } >"$log" 2>&1 || rc=$?
    [[ -z $guard ]] || rm -f /usr/sbin/policy-rc.d
    if ((rc)); then
        tail -n 20 "$log" >&2
        rm -f "$log"
        skip_or_fail "apt-get install ${missing[*]} failed"
    fi
    rm -f "$log"
}

if [[ ${1:-} == --install ]]; then
    install_packages
    exit 0
fi

# --- what this run makes, and removes --------------------------------------------------------

START=$(now)
RUN=$(mktemp -d "${TMPDIR:-/tmp}/$PROJECT.XXXXXX")
chmod 755 "$RUN"
mkdir -p "$RUN/logs" "$RUN/compose" "$RUN/staging"
DOCKERD_PID=
ENGINE_UP=
FEED_SERVER_PID=
DNS_PID=
HOST_PIDS=()
FIGURES=()
SUMMARY=

run_pids() { # processes whose command line names this run's folder (containerd, shims, ...)
    local f args
    for f in /proc/[0-9]*/cmdline; do
        { mapfile -d '' -t args <"$f"; } 2>/dev/null || continue
        [[ "${args[*]}" == *"$RUN"* ]] && echo "${f//[^0-9]/}"
    done
    return 0
}
cgroups() { find /sys/fs/cgroup -maxdepth 2 -type d -name "$PROJECT" 2>/dev/null || true; }
interfaces() { # the kinds Docker makes: its bridge, network bridges, container veths
    local path
    for path in /sys/class/net/*; do
        [[ ${path##*/} =~ ^(docker0|br-[0-9a-f]{12}|veth) ]] && echo "${path##*/}"
    done
    return 0
}
docker_rules() {
    local save
    for save in iptables-save ip6tables-save; do
        command -v "$save" >/dev/null && "$save" 2>/dev/null | grep -i docker || true
    done
}
IFACES_BEFORE=$(interfaces)
RULES_BEFORE=$(docker_rules)

compose() {
    timeout 600 docker-compose --project-directory "$ROOT" -p "$PROJECT" \
        -f "$RUN/compose/docker-compose.yml" -f "$ROOT/.ci/docker-compose.ci.yml" "$@"
}
containers() { # ids of the project's containers, all or of one service
    $DOCKER ps -aq --filter "label=com.docker.compose.project=$PROJECT" \
        ${1:+--filter "label=com.docker.compose.service=$1"}
}
probe() { PIPELINE_REDIS_URL=$REDIS_URL "$PY" "$ROOT/scripts/compose_probe.py" "$@"; }
json() { "$PY" -c "import json, sys; print(eval(sys.argv[1], {'d': json.load(sys.stdin)}))" "$1"; }

diagnostics() {
    echo "--- containers" >&2
    $DOCKER ps -a --filter "label=com.docker.compose.project=$PROJECT" >&2 || true
    local id
    for id in $(containers); do
        echo "--- logs of $($DOCKER inspect -f '{{.Name}}' "$id") (last 30 lines)" >&2
        $DOCKER logs --tail 30 "$id" 2>&1 | cut -c1-400 >&2 || true
        $DOCKER inspect -f '{{if .State.Health}}{{range .State.Health.Log}}healthcheck: exit {{.ExitCode}} {{.Output}}{{end}}{{end}}' \
            "$id" | tail -n 6 | cut -c1-400 >&2 || true
    done
}

teardown() {
    local rc=$? left=() pid
    set +e
    trap - EXIT INT TERM
    ((rc == 0)) || [[ -z $ENGINE_UP ]] || diagnostics
    say "== teardown"
    for pid in $FEED_SERVER_PID $DNS_PID "${HOST_PIDS[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    if [[ -n $ENGINE_UP ]]; then
        [[ ! -f $RUN/compose/docker-compose.yml ]] ||
            compose down -v --rmi local -t 30 >"$RUN/logs/down.log" 2>&1 ||
            left+=("docker-compose down failed: $(tail -n 3 "$RUN/logs/down.log")")
        [[ -z $(containers) ]] || left+=("containers: $(containers | tr '\n' ' ')")
        $DOCKER image rm -f "$PIPELINE_IMAGE" "$REDIS_IMAGE" "$PROMETHEUS_IMAGE" "$BASE_IMAGE" \
            >/dev/null 2>&1
        $DOCKER image prune -f >/dev/null 2>&1
    fi
    if [[ -n $DOCKERD_PID ]]; then
        kill "$DOCKERD_PID" 2>/dev/null
        for _ in $(seq 60); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "$DOCKERD_PID" 2>/dev/null && left+=("dockerd ignored SIGTERM for 30 s")
        wait "$DOCKERD_PID" 2>/dev/null
    fi
    # containerd and its shims name this run's folder on their command line; container
    # processes left (should down have failed) are in this run's cgroups
    for pid in $(run_pids) $(cat $(find $(cgroups) -name cgroup.procs 2>/dev/null) /dev/null); do
        kill -KILL "$pid" 2>/dev/null
    done
    grep -F "$RUN" /proc/self/mountinfo | awk '{ print $5 }' | sort -r | xargs -r -n1 umount -l
    sleep 1
    [[ -z $(cgroups) ]] || find $(cgroups) -depth -type d -exec rmdir {} + 2>/dev/null
    rm -rf "$RUN"
    # nothing of this run may be left
    pid=$(run_pids | xargs)
    [[ -z $pid ]] || left+=("processes: $pid")
    [[ -z $(grep -F "$RUN" /proc/self/mountinfo) ]] || left+=("mounts under $RUN")
    [[ -z $(cgroups) ]] || left+=("cgroups: $(cgroups | xargs)")
    [[ ! -e $RUN ]] || left+=("folder $RUN")
    [[ $(interfaces) == "$IFACES_BEFORE" ]] || left+=("network interfaces: $(interfaces | xargs)")
    [[ $(docker_rules) == "$RULES_BEFORE" ]] || left+=("iptables rules: $(docker_rules)")
    if ((${#left[@]})); then
        printf 'compose-test: FAILED: left behind: %s\n' "${left[@]}" >&2
        rc=1
    else
        say "teardown: no container, process, mount, cgroup, folder, interface or rule left"
    fi
    if ((rc == 0)) && [[ -n $SUMMARY ]]; then
        printf '%s\n' "${FIGURES[@]}" "$SUMMARY"
    fi
    exit "$rc"
}
trap teardown EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# --- phases -------------------------------------------------------------------------------

phase_engine() {
    [[ $(id -u) == 0 ]] || skip_or_fail "dockerd needs root"
    command -v dockerd >/dev/null || skip_or_fail "no dockerd (scripts/compose-test.sh --install)"
    mkdir -p "$RUN/engine"
    dockerd --data-root "$RUN/engine/data" --exec-root "$RUN/engine/exec" \
        --pidfile "$RUN/engine/dockerd.pid" --host "unix://$RUN/engine/docker.sock" \
        --bridge=none --iptables=false --ip-forward=false --ip-masq=false \
        --userland-proxy=false --cgroup-parent "/$PROJECT" \
        --containerd-namespace "$PROJECT" --containerd-plugins-namespace "$PROJECT-plugins" \
        >"$RUN/logs/dockerd.log" 2>&1 &
    DOCKERD_PID=$!
    export DOCKER_HOST=unix://$RUN/engine/docker.sock
    for _ in $(seq 120); do
        if $DOCKER version >/dev/null 2>&1; then
            ENGINE_UP=1
            break
        fi
        kill -0 "$DOCKERD_PID" 2>/dev/null || break
        sleep 0.5
    done
    if [[ -z $ENGINE_UP ]]; then
        echo "--- dockerd's log" >&2
        tail -n 40 "$RUN/logs/dockerd.log" >&2
        skip_or_fail "dockerd did not start"
    fi
    say "dockerd $($DOCKER version -f '{{.Server.Version}}') (pid $DOCKERD_PID) on $DOCKER_HOST"
}

phase_base_image() {
    local key tarball t0
    key=$(printf '%s\n' "$SUITE" minbase "$BASE_PACKAGES" \
        "$(dpkg-query -W -f='${Version}' debootstrap)" | sha256sum | cut -c1-12)
    tarball=$CACHE/rootfs-$SUITE-$key.tar.gz
    if [[ -f $tarball && -z $(find "$tarball" -mtime +"$BASE_MAX_AGE_DAYS") ]]; then
        say "base rootfs from the cache: $tarball"
    else
        t0=$(now)
        say "debootstrap $SUITE minbase with $BASE_PACKAGES ..."
        mkdir -p "$CACHE"
        debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$RUN/rootfs" \
            >"$RUN/logs/debootstrap.log" 2>&1 ||
            { tail -n 30 "$RUN/logs/debootstrap.log" >&2; fail "debootstrap failed"; }
        rm -rf "$RUN/rootfs/var/cache/apt/archives/"*.deb "$RUN/rootfs/var/lib/apt/lists/"*
        tar --numeric-owner -C "$RUN/rootfs" -c . | gzip -1 >"$tarball.$$"
        mv "$tarball.$$" "$tarball"
        rm -rf "$RUN/rootfs"
        find "$CACHE" -maxdepth 1 -name 'rootfs-*.tar.gz' ! -path "$tarball" -delete
        figure "debootstrap (cached for later runs): $(since "$t0") s"
    fi
    t0=$(now)
    $DOCKER import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' "$tarball" "$BASE_IMAGE" >/dev/null
    figure "image $BASE_IMAGE: imported in $(since "$t0") s, $(image_mb "$BASE_IMAGE") MB"
}

phase_wheelhouse() {
    # Only what the production Dockerfile copies. async-timeout: redis-py needs it below
    # Python 3.11.3 and Debian's is 3.11.2 (pip on the host judges markers by its own Python).
    # The dependencies' wheels are cached by what decides them (pyproject.toml, any
    # requirements file, the host's Python) for BASE_MAX_AGE_DAYS; the project's is always new.
    local key cached wheels="$RUN/context/wheelhouse"
    mkdir -p "$RUN/src" "$wheels" "$RUN/context-redis"
    cp -r "$ROOT/pyproject.toml" "$ROOT/README.md" "$ROOT/LICENSE" "$ROOT/pipeline" "$RUN/src/"
    cp -r "$ROOT/seeds" "$RUN/context/seeds"
    key=$(cat "$ROOT/pyproject.toml" $(compgen -G "$ROOT/requirements*.txt") \
        <("$PY" -VV) | sha256sum | cut -c1-12)
    cached=$CACHE/wheels-$key
    if [[ -d $cached && -z $(find "$cached" -maxdepth 0 -mtime +"$BASE_MAX_AGE_DAYS") ]]; then
        say "dependency wheels from the cache: $cached"
        cp "$cached"/*.whl "$wheels/"
        pip_wheel --no-deps "$RUN/src"
    else
        pip_wheel "$RUN/src" async-timeout
        mkdir -p "$CACHE"
        rm -rf "$cached.$$"
        mkdir "$cached.$$"
        find "$wheels" -name '*.whl' ! -name 'news_pipeline-*' -exec cp {} "$cached.$$/" \;
        rm -rf "$cached"
        mv "$cached.$$" "$cached"
        find "$CACHE" -maxdepth 1 -name 'wheels-*' ! -path "$cached" -exec rm -rf {} +
    fi
    say "wheelhouse: $(ls "$wheels" | wc -l) wheels, $(du -sm "$wheels" | cut -f1) MB"
}

pip_wheel() {
    "$PY" -m pip wheel -q -w "$RUN/context/wheelhouse" "$@" >"$RUN/logs/wheelhouse.log" 2>&1 ||
        { tail -n 30 "$RUN/logs/wheelhouse.log" >&2; fail "pip wheel $* failed"; }
}

image_mb() { $DOCKER image inspect -f '{{.Size}}' "$1" | awk '{ printf "%.0f", $1 / 1e6 }'; }

build_image() { # tag, Dockerfile, context
    local t0
    t0=$(now)
    $DOCKER build --network=none --build-arg "BASE=$BASE_IMAGE" -f "$2" -t "$1" "$3" \
        >"$RUN/logs/build-${1%%:*}.log" 2>&1 ||
        { tail -n 30 "$RUN/logs/build-${1%%:*}.log" >&2; fail "building $1 failed"; }
    figure "image $1: built in $(since "$t0") s, $(image_mb "$1") MB (base $(image_mb "$BASE_IMAGE") MB; no wheelhouse inside)"
}

phase_images() {
    build_image "$PIPELINE_IMAGE" "$ROOT/.ci/pipeline.Dockerfile" "$RUN/context"
    build_image "$REDIS_IMAGE" "$ROOT/.ci/redis.Dockerfile" "$RUN/context-redis"
    # Debian's Prometheus binary, as check.sh's monitoring tests unpack it (never installed)
    local prometheus
    prometheus=$(bash "$ROOT/scripts/prometheus-for-tests.sh") || fail "no Debian prometheus package"
    mkdir -p "$RUN/context-prometheus"
    cp "$prometheus/usr/bin/prometheus" "$RUN/context-prometheus/"
    build_image "$PROMETHEUS_IMAGE" "$ROOT/.ci/prometheus.Dockerfile" "$RUN/context-prometheus"
    $DOCKER image prune -f >/dev/null # the build stage that held the wheelhouse
}

pick_ports() { # Redis, the 10 worker metrics ports, the scheduler's, the feed server's,
    # the page fetcher's metrics, the status page, Prometheus; and a loopback address whose
    # port 53 is free, for the DNS server Prometheus discovers the services with
    "$PY" - <<'EOF'
import random, socket

def free(port: int, addr: str = "127.0.0.1", kind: int = socket.SOCK_STREAM) -> bool:
    with socket.socket(socket.AF_INET, kind) as s:
        try:
            s.bind((addr, port))
        except OSError:
            return False
        return True

rng = random.SystemRandom()
while True:
    base = rng.randrange(20000, 60000, 16)
    if all(free(p) for p in range(base, base + 16)):
        break
while True:
    dns = f"127.{rng.randrange(1, 255)}.{rng.randrange(0, 255)}.{rng.randrange(1, 255)}"
    if free(53, dns, socket.SOCK_DGRAM):
        break
print(base, base + 1, base + 11, base + 12, base + 13, base + 14, base + 15, dns)
EOF
}

phase_preflight() {
    read -r REDIS_PORT WORKER_METRICS_PORT SCHEDULER_METRICS_PORT FEED_PORT PAGES_METRICS_PORT \
        WEB_PORT PROMETHEUS_PORT DNS_ADDR < <(pick_ports)
    # the Redis users' passwords (.env in production), new for each run
    read -r REDIS_PIPELINE_PASSWORD REDIS_CONSUMER_PASSWORD REDIS_OPERATOR_PASSWORD < <("$PY" -c \
        'import secrets; print(*(secrets.token_hex(16) for _ in range(3)))')
    export REDIS_PIPELINE_PASSWORD REDIS_CONSUMER_PASSWORD REDIS_OPERATOR_PASSWORD
    # the probes look as the operator does; pipeline commands on the host use the pipeline's user
    REDIS_URL=redis://operator:$REDIS_OPERATOR_PASSWORD@127.0.0.1:$REDIS_PORT/0
    PIPELINE_URL=redis://pipeline:$REDIS_PIPELINE_PASSWORD@127.0.0.1:$REDIS_PORT/0
    mkdir -p "$RUN/inbox" "$RUN/config"
    cp "$ROOT/config/feeds.txt" "$RUN/config/feeds.txt" # as shipped: comments only
    chmod 755 "$RUN/inbox" "$RUN/config"
    prometheus_config
    export NP_CI_REDIS_PORT=$REDIS_PORT NP_CI_WORKER_METRICS_PORT=$WORKER_METRICS_PORT \
        NP_CI_SCHEDULER_METRICS_PORT=$SCHEDULER_METRICS_PORT \
        NP_CI_PAGES_METRICS_PORT=$PAGES_METRICS_PORT NP_CI_WEB_PORT=$WEB_PORT \
        NP_CI_INBOX=$RUN/inbox NP_CI_CONFIG=$RUN/config \
        NP_CI_PROMETHEUS_PORT=$PROMETHEUS_PORT NP_CI_PROMETHEUS_CONFIG=$RUN/prometheus \
        NP_CI_RESOLV_CONF=$RUN/resolv.conf
    # production's file less `name:` (compose v1) and `ports:` (host network)
    bash "$ROOT/scripts/compose-ci-copy.sh" >"$RUN/compose/docker-compose.yml"
    compose config >"$RUN/compose/rendered.yml" 2>"$RUN/logs/config.log" ||
        { cat "$RUN/logs/config.log" >&2; fail "docker-compose config failed"; }
    # the check that check.sh runs, on this run's ports and folders
    (cd "$ROOT" && "$PY" -m pytest -q -p no:cacheprovider tests/unit/test_deployment.py \
        -k "only_where or repeats or redis_image") >"$RUN/logs/deployment-test.log" 2>&1 ||
        { cat "$RUN/logs/deployment-test.log" >&2; fail "the CI stack differs from production"; }
    local image networks
    for image in $(started_services '{s["image"] for s in services}'); do
        $DOCKER image inspect "$image" >/dev/null 2>&1 ||
            fail "image $image is not local (compose v1 would try to pull it)"
    done
    networks=$($DOCKER network ls --format '{{.Name}}' | sort | xargs)
    [[ $networks == "host none" ]] || fail "networks before up: $networks (only host and none)"
    say "rendered, compared with production; images local; networks: $networks; Redis on $REDIS_PORT"
}

prometheus_config() {
    # monitoring/prometheus/ as shipped, but discovery by SRV records (one per replica's
    # port; see scripts/ci_dns.py) and every interval 1 s, so a minute of the run is plenty
    mkdir -p "$RUN/prometheus"
    cp "$ROOT/monitoring/prometheus/alerts.yml" "$RUN/prometheus/"
    "$PY" - "$ROOT/monitoring/prometheus/prometheus.yml" "$RUN/prometheus/prometheus.yml" <<'EOF'
import sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
config["global"].update(scrape_interval="1s", evaluation_interval="1s")
for job in config["scrape_configs"]:
    for sd in job.get("dns_sd_configs", []):
        assert sd.pop("type") == "A" and sd.pop("port") == 9100, sd
        sd.update(type="SRV", refresh_interval="1s")
yaml.safe_dump(config, open(sys.argv[2], "w"), sort_keys=False)
EOF
    printf 'nameserver %s\noptions timeout:1 attempts:2\n' "$DNS_ADDR" >"$RUN/resolv.conf"
    chmod -R a+rX "$RUN/prometheus" "$RUN/resolv.conf"
}

started_services() { # an expression of `services`: those up starts (no profile), as rendered
    "$PY" -c 'import sys, yaml
services = [s for s in yaml.safe_load(open(sys.argv[1]))["services"].values() if not s.get("profiles")]
value = eval(sys.argv[2])
print(*sorted(value)) if isinstance(value, set) else print(value)' "$RUN/compose/rendered.yml" "$1"
}

container_states() {
    local ids
    ids=$(containers "${1:-}")
    [[ -z $ids ]] || $DOCKER inspect -f \
        '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.RestartCount}}' \
        $ids
}

wait_healthy() { # N containers, every one running and healthy
    local expected=$1 timeout=${2:-180} deadline states
    deadline=$(($(date +%s) + timeout))
    while :; do
        states=$(container_states)
        if [[ $(grep -c ' running healthy ' <<<"$states") == "$expected" &&
            $(grep -c . <<<"$states") == "$expected" ]]; then
            return 0
        fi
        (($(date +%s) < deadline)) || fail "not $expected healthy containers after $timeout s:
$states"
        sleep 1
    done
}

restarts() { container_states | awk '{ n += $4 } END { print n + 0 }'; }

logs_of() { local id; for id in $(containers "$1"); do $DOCKER logs "$id" 2>&1; done; }

phase_up() {
    local t0 services
    t0=$(now)
    compose up -d --no-build >"$RUN/logs/up.log" 2>&1 || { cat "$RUN/logs/up.log" >&2; fail "up failed"; }
    services=$(started_services 'len(services)')
    wait_healthy $((services + 1)) 240 # two workers
    HEALTHY_S=$(since "$t0")
    SERVICES=$services
    [[ $(restarts) == 0 ]] || fail "containers restarted during start-up: $(container_states)"
    [[ $(logs_of scheduler) == *'"feeds_none_usable"'* ]] ||
        fail "the scheduler does not say that config/feeds.txt lists no feed"
    [[ $($DOCKER network ls --format '{{.Name}}' | sort | xargs) == "host none" ]] ||
        fail "up created a network"
    figure "up: $services services ($(containers | wc -l) containers) healthy in $HEALTHY_S s"
    say "all healthy in $HEALTHY_S s; the scheduler waits for feeds instead of restarting"
}

phase_feeds() {
    local t0
    mkdir -p "$RUN/feeds"
    probe feed "$RUN/feeds/news.xml" --base-url "http://127.0.0.1:$FEED_PORT" --items 5
    "$PY" -m http.server --bind 127.0.0.1 --directory "$RUN/feeds" "$FEED_PORT" \
        >"$RUN/logs/feed-server.log" 2>&1 &
    FEED_SERVER_PID=$!
    probe snapshot >"$RUN/feeds.json"
    t0=$(now)
    printf '%s\n' "# compose-test's own feed server" "http://127.0.0.1:$FEED_PORT/news.xml" \
        >>"$RUN/config/feeds.txt"
    probe wait --since "$RUN/feeds.json" --new 5 --items 5 --timeout 120 >/dev/null
    [[ $(logs_of scheduler | grep '"feeds_loaded"' | tail -n 1) == *'"feeds": 1,'* ]] ||
        fail "the scheduler did not load the feed it was given"
    [[ $(restarts) == 0 ]] || fail "containers restarted: $(container_states)"
    say "feed added to feeds.txt while running: its 5 items landed in $(since "$t0") s"
}

phase_replay() {
    local seeds t0 out last_write
    seeds=$(find "$ROOT/seeds" -type f ! -name '.*' | wc -l)
    probe snapshot >"$RUN/replay.json"
    cp -r "$ROOT/seeds" "$RUN/staging/seeds"
    mv "$RUN/staging/seeds" "$RUN/inbox/seeds"
    probe wait --since "$RUN/replay.json" --items "$seeds" --timeout 120 >/dev/null
    say "seeds/: $seeds files landed through the inbox watcher"
    probe page "http://127.0.0.1:$WEB_PORT/" --shows-latest ||
        fail "the status page (web, port $WEB_PORT) does not show the latest article"
    say "the status page shows the latest article"
    probe generate "$RUN/staging/generated" --count "$GENERATED" --first 100000
    probe snapshot >"$RUN/generated.json"
    t0=$(now)
    mv "$RUN/staging/generated" "$RUN/inbox/generated"
    out=$(probe wait --since "$RUN/generated.json" --new "$GENERATED" --items "$GENERATED" \
        --timeout 600)
    last_write=$(json "d['last_write']" <<<"$out")
    IN_RATE=$(awk -v n="$GENERATED" -v a="$t0" -v b="$last_write" 'BEGIN { printf "%.1f", n / (b - a) }')
    probe check-once
    say "$GENERATED generated articles through the inbox: $IN_RATE articles/s (2 workers, enrichment on)"
}

phase_scale_and_metrics() {
    local scraped ports logged new
    compose up -d --no-build --no-recreate --scale worker=3 >"$RUN/logs/scale.log" 2>&1 ||
        { cat "$RUN/logs/scale.log" >&2; fail "scaling failed"; }
    wait_healthy $((SERVICES + 2)) 240
    scraped=$(probe scrape --first "$WORKER_METRICS_PORT" --span 10)
    ports=$(json "' '.join(sorted(d))" <<<"$scraped")
    [[ $(wc -w <<<"$ports") == 3 ]] || fail "3 workers, metrics on ports: $ports"
    logged=$(logs_of worker | grep '"metrics_serving"' | sed 's/.*"port": \([0-9]*\).*/\1/' |
        sort | xargs)
    [[ $logged == "$ports" ]] || fail "workers say they serve metrics on $logged, scraped $ports"
    # every process sees Redis; the pipeline-wide figures come from exactly one of them
    # (the metrics lease), so a sum over all scraped processes counts each once
    scraped=$(probe scrape --first "$WORKER_METRICS_PORT" --span 10 \
        --also "$SCHEDULER_METRICS_PORT" --also "$PAGES_METRICS_PORT")
    [[ $(json "len(d)" <<<"$scraped") == 5 ]] ||
        fail "3 workers, the scheduler and the page fetcher should serve metrics: $scraped"
    new=$(json "d['counters'].get('new', 0)" <<<"$(probe snapshot)")
    [[ $(json "[p for p, m in d.items() if m['redis_up'] != 1.0]" <<<"$scraped") == "[]" ]] ||
        fail "a process does not see Redis: $scraped"
    [[ $(json "sorted((m['lease_held'], m['new']) for m in d.values())" <<<"$scraped") == \
        "[(0.0, None), (0.0, None), (0.0, None), (0.0, None), (1.0, $new.0)]" ]] ||
        fail "not exactly one process reports the pipeline's figures, or they disagree with Redis ($new new): $scraped"
    say "3 workers healthy; each serves its own metrics port ($ports); one process of 5 reports the pipeline's figures, as Redis has them"
}

phase_monitoring() {
    # The monitoring profile's Prometheus finds the scaled workers (and the page fetcher and
    # the scheduler) by DNS, follows a replica coming and going, and has an answer for every
    # query of the Grafana dashboard; every alert rule loads and evaluates.
    local url=http://127.0.0.1:$PROMETHEUS_PORT t0 out round
    "$PY" "$ROOT/scripts/ci_dns.py" --listen "$DNS_ADDR" \
        --service "worker=$WORKER_METRICS_PORT-$((WORKER_METRICS_PORT + 9))" \
        --service "pages=$PAGES_METRICS_PORT" --service "scheduler=$SCHEDULER_METRICS_PORT" \
        >"$RUN/logs/dns.log" 2>&1 &
    DNS_PID=$!
    t0=$(now)
    compose --profile monitoring up -d --no-build --no-deps prometheus \
        >"$RUN/logs/prometheus-up.log" 2>&1 || { cat "$RUN/logs/prometheus-up.log" >&2; fail "starting Prometheus failed"; }
    out=$(probe prom-targets "$url" --count 5 --timeout 120)
    say "Prometheus discovered 3 workers, the page fetcher and the scheduler in $(since "$t0") s: $out"
    compose up -d --no-build --no-recreate --scale worker=4 worker >"$RUN/logs/scale4.log" 2>&1 ||
        { cat "$RUN/logs/scale4.log" >&2; fail "scaling to 4 workers failed"; }
    t0=$(now)
    probe prom-targets "$url" --count 6 --timeout 180 >/dev/null
    say "a 4th worker: scraped $(since "$t0") s after it was started"
    compose up -d --no-build --no-recreate --scale worker=3 worker >"$RUN/logs/scale3.log" 2>&1 ||
        { cat "$RUN/logs/scale3.log" >&2; fail "scaling back to 3 workers failed"; }
    probe prom-targets "$url" --count 5 --timeout 120 >/dev/null
    say "scaled back to 3 workers: Prometheus follows"
    # two rounds of what the dashboard shows: a feed that works and one that is gone, items
    # too short to stand alone (their pages are fetched: refused, 127.0.0.1 is private to
    # the page fetcher), a bad line (a dead letter), and a consumer group that lags
    for round in 1 2; do
        probe feed "$RUN/feeds/short-$round.xml" --base-url "http://127.0.0.1:$FEED_PORT" \
            --items 3 --first $((round * 1000)) --short
        printf '%s\n' "http://127.0.0.1:$FEED_PORT/short-$round.xml" \
            "http://127.0.0.1:$FEED_PORT/gone.xml" >"$RUN/monitoring-feeds-$round.txt"
        PIPELINE_REDIS_URL=$PIPELINE_URL PIPELINE_FETCH_ALLOW_PRIVATE=true \
            "$PIPELINE" --log-level ERROR fetch --feeds "$RUN/monitoring-feeds-$round.txt" >/dev/null ||
            fail "pipeline fetch (round $round) failed"
        printf '%s\n' "{\"id\": \"monitoring-$round\", \"text\": \"Round $round in Lisbon.\"}" \
            '{not json' >"$RUN/staging/monitoring-$round.jsonl"
        mv "$RUN/staging/monitoring-$round.jsonl" "$RUN/inbox/"
        sleep 3 # a few scrapes between the rounds: increase() needs a counter to move
    done
    PIPELINE_REDIS_URL=$REDIS_URL "$PIPELINE" --log-level ERROR consume --group dashboards \
        --count 2 >/dev/null || fail "pipeline consume --group dashboards failed"
    out=$(probe prom-dashboard "$url" --timeout 180 \
        --dashboard "$ROOT/monitoring/grafana/dashboards/news-pipeline.json" \
        --rules "$ROOT/monitoring/prometheus/alerts.yml")
    say "$out"
    figure "monitoring: Prometheus found each scaled worker by DNS; $out"
    # the two bad lines were dead letters on purpose; later phases check that none is left
    for round in 1 2; do probe drop-dead "/monitoring-$round.jsonl" --expect 1; done
    compose --profile monitoring rm -s -f prometheus >"$RUN/logs/prometheus-rm.log" 2>&1 ||
        { cat "$RUN/logs/prometheus-rm.log" >&2; fail "removing Prometheus failed"; }
    kill "$DNS_PID" && wait "$DNS_PID" 2>/dev/null || true
    ! kill -0 "$DNS_PID" 2>/dev/null || fail "the DNS server (pid $DNS_PID) did not stop"
    DNS_PID=
    wait_healthy $((SERVICES + 2)) 120
}

host_pid() { $DOCKER inspect -f '{{.State.Pid}}' "$1"; }

phase_worker_kill() {
    local pids victim busy job t0 deadline status count out
    probe generate "$RUN/staging/kill" --count 600 --first 200000
    probe snapshot >"$RUN/kill.json"
    mv "$RUN/staging/kill" "$RUN/inbox/kill"
    probe wait-busy 3 --timeout 120 >/dev/null
    declare -A container_of=()
    for id in $(containers worker); do container_of[$(host_pid "$id")]=$id; done
    busy=$(probe busy-workers "${!container_of[@]}")
    victim=$(json "d[0]['pid']" <<<"$busy")
    job=$(json "d[0]['job']" <<<"$busy")
    count=$($DOCKER inspect -f '{{.RestartCount}}' "${container_of[$victim]}")
    t0=$(now)
    kill -KILL "$victim"
    say "SIGKILLed worker $(json "d[0]['worker']" <<<"$busy") (host pid $victim) while it ran $job"
    deadline=$(($(date +%s) + 60))
    until [[ $($DOCKER inspect -f '{{.RestartCount}} {{.State.Running}}' "${container_of[$victim]}") == "$((count + 1)) true" ]]; do
        (($(date +%s) < deadline)) || fail "Docker did not restart the killed worker"
        sleep 0.5
    done
    say "Docker restarted its container after $(since "$t0") s"
    status=$(probe job "$job")
    [[ $(json "d['started']" <<<"$status") == True ]] ||
        fail "the killed worker's job is not in RQ's started registry: $status"
    out=$(probe wait --since "$RUN/kill.json" --new 600 --items 600 \
        --timeout "$KILL_RECOVERY_S" 2>&1) || {
        echo "$out" >&2
        fail "the killed worker's batch $job did not land within $KILL_RECOVERY_S s ($(probe job "$job")); RQ recovers an abandoned job only after its heartbeat expires and a maintenance pass sees it (COMPOSE_TEST_KILL_RECOVERY_S)"
    }
    probe check-once
    say "all 600 landed once, $(since "$t0") s after the kill"
    figure "worker SIGKILLed mid-batch: every article landed once, $(since "$t0") s after the kill"
}

phase_redis_recreate() {
    local before after old batch jobs
    compose stop worker >"$RUN/logs/stop-workers.log" 2>&1 || fail "stopping the workers failed"
    probe generate "$RUN/staging/recreate" --count 300 --first 300000
    PIPELINE_REDIS_URL=$PIPELINE_URL "$PIPELINE" replay "$RUN/staging/recreate" >/dev/null 2>&1 ||
        fail "replay into the stack's Redis failed"
    before=$(probe snapshot)
    # the replay cut the 300 items into jobs of PIPELINE_BATCH_SIZE (its default unless set)
    batch=$("$PY" -c 'from pipeline.settings import Settings; print(Settings().batch_size)')
    jobs=$(((300 + batch - 1) / batch))
    [[ $(json "d['queued']" <<<"$before") == "$jobs" ]] ||
        fail "$jobs jobs (300 items in jobs of $batch) should wait: $before"
    old=$(containers redis)
    compose up -d --no-build --no-deps --force-recreate redis >"$RUN/logs/recreate.log" 2>&1 ||
        { cat "$RUN/logs/recreate.log" >&2; fail "recreating Redis failed"; }
    [[ $(containers redis) != "$old" ]] || fail "the Redis container was not recreated"
    wait_redis
    after=$(probe snapshot)
    local key
    for key in queued articles seen pending_items "sorted(d['counters'].items())"; do
        [[ $key == sorted* ]] || key="d['$key']"
        [[ $(json "$key" <<<"$before") == "$(json "$key" <<<"$after")" ]] ||
            fail "$key changed when Redis was recreated: $(json "$key" <<<"$before") -> $(json "$key" <<<"$after")"
    done
    say "Redis recreated: queue ($(json "d['queued']" <<<"$after") jobs), streams and seen-set kept in the volume"
    printf '%s\n' "$before" >"$RUN/recreate.json"
    compose start worker >"$RUN/logs/start-workers.log" 2>&1 || fail "starting the workers failed"
    probe wait --since "$RUN/recreate.json" --new 300 --items 300 --timeout 300 >/dev/null
    probe snapshot >"$RUN/again.json"
    PIPELINE_REDIS_URL=$PIPELINE_URL "$PIPELINE" replay "$RUN/staging/recreate" >/dev/null 2>&1
    probe wait --since "$RUN/again.json" --new 0 --items 300 --timeout 300 >/dev/null
    probe check-once
    say "the queued batches landed after the restart; replaying them again landed 0 new articles"
}

wait_redis() {
    local deadline=$(($(date +%s) + 60))
    until [[ $(container_states redis | awk '{ print $3 }') == healthy ]]; do
        (($(date +%s) < deadline)) || fail "Redis not healthy: $(container_states redis)"
        sleep 0.5
    done
}

phase_upgrade() {
    local old t0 died
    probe generate "$RUN/staging/upgrade" --count 500 --first 400000
    probe snapshot >"$RUN/upgrade.json"
    old=$(containers worker | sort | xargs)
    mv "$RUN/staging/upgrade" "$RUN/inbox/upgrade"
    probe wait-busy 1 --timeout 120 >/dev/null
    local id
    for id in $old; do # the old containers are removed with their logs: keep them
        $DOCKER logs -f -t "$id" >"$RUN/logs/old-worker-${id:0:12}.log" 2>&1 &
    done
    t0=$(date +%s)
    compose up -d --no-build --no-deps --force-recreate --scale worker=3 worker \
        >"$RUN/logs/upgrade.log" 2>&1 || { cat "$RUN/logs/upgrade.log" >&2; fail "upgrade failed"; }
    [[ -z $(comm -12 <(tr ' ' '\n' <<<"$old") <(containers worker | sort)) ]] ||
        fail "workers were not recreated"
    # the old workers finished their batch and exited 0 within their grace period
    died=$($DOCKER events --since "$t0" --until "$(($(date +%s) + 1))" --filter type=container \
        --filter event=die --format '{{.ID}} {{index .Actor.Attributes "exitCode"}}' |
        grep -F -f <(tr ' ' '\n' <<<"$old") || true)
    if [[ $(wc -l <<<"$died") != 3 || -n $(awk '$2 != 0' <<<"$died") ]]; then
        for id in $old; do
            printf -- '--- logs of old worker %s (last 40 lines)\n' "${id:0:12}" >&2
            tail -n 40 "$RUN/logs/old-worker-${id:0:12}.log" >&2
        done
        fail "old workers did not all exit 0 (137: killed at the end of stop_grace_period): $died"
    fi
    probe wait --since "$RUN/upgrade.json" --new 500 --items 500 --timeout 300 >/dev/null
    probe check-once
    wait_healthy $((SERVICES + 2)) 240
    say "workers recreated during a replay: exactly 500 new articles, each once"
}

phase_stop() {
    local t0 states bad out
    probe generate "$RUN/staging/stop" --count 300 --first 500000
    probe snapshot >"$RUN/stop.json"
    mv "$RUN/staging/stop" "$RUN/inbox/stop"
    # every item enqueued (the watcher is done) and a batch running
    local deadline=$(($(date +%s) + 120))
    local new0
    new0=$(json "d['counters'].get('new', 0)" <"$RUN/stop.json")
    until out=$(probe snapshot) &&
        [[ $(json "d['counters'].get('new', 0) + d['pending_items'] == $new0 + 300 and d['started'] >= 1" <<<"$out") == True ]]; do
        (($(date +%s) < deadline)) || fail "the batches never started: $out"
        sleep 0.3
    done
    t0=$(now)
    compose stop >"$RUN/logs/stop.log" 2>&1 || { cat "$RUN/logs/stop.log" >&2; fail "stop failed"; }
    states=$($DOCKER inspect -f '{{.Name}} {{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}' $(containers))
    bad=$(awk '$2 != "exited" || $3 != 0 || $4 != "false"' <<<"$states")
    [[ -z $bad ]] || fail "containers that did not exit 0: $bad"
    say "stop: every container exited 0 in $(since "$t0") s"
    compose start redis >"$RUN/logs/start-redis.log" 2>&1 || fail "starting Redis again failed"
    wait_redis
    out=$(probe snapshot)
    [[ $(json "(d['started'], d['failed'])" <<<"$out") == "(0, 0)" ]] ||
        fail "a batch was cut off by stop: $out"
    # nothing lost: what was written plus what still waits in the queue is all of it
    [[ $(json "d['counters'].get('new', 0) + d['pending_items']" <<<"$out") == $((new0 + 300)) ]] ||
        fail "articles lost at stop: $out"
    say "the running batches finished before their workers exited; the rest waits in the queue"
}

phase_outside() {
    local t0 pids=() pid out last_write
    probe flush
    probe snapshot >"$RUN/outside.json"
    t0=$(now)
    PIPELINE_REDIS_URL=$PIPELINE_URL "$PIPELINE" replay "$RUN/inbox/generated" \
        >"$RUN/logs/outside-replay.log" 2>&1 || fail "replay outside containers failed"
    for _ in 1 2; do
        PIPELINE_REDIS_URL=$PIPELINE_URL "$PIPELINE" worker --burst \
            >>"$RUN/logs/outside-workers.log" 2>&1 &
        pids+=($!)
        HOST_PIDS+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || fail "a worker outside containers failed"; done
    HOST_PIDS=()
    out=$(probe wait --since "$RUN/outside.json" --new "$GENERATED" --items "$GENERATED" --timeout 30)
    last_write=$(json "d['last_write']" <<<"$out")
    OUT_RATE=$(awk -v n="$GENERATED" -v a="$t0" -v b="$last_write" 'BEGIN { printf "%.1f", n / (b - a) }')
    probe check-once
    say "the same $GENERATED articles outside containers (replay + 2 x worker --burst): $OUT_RATE articles/s"
    figure "replay of $GENERATED articles, 2 workers, enrichment on: $IN_RATE articles/s in containers, $OUT_RATE outside"
}

# --- the run ------------------------------------------------------------------------------

install_packages
[[ -x $PIPELINE ]] || fail "no .venv: run scripts/check.sh first (it installs the project)"
if [[ -n ${COMPOSE_TEST_PHASES:-} ]]; then
    [[ ${CI:-} != true ]] || fail "COMPOSE_TEST_PHASES would skip phases: refused under CI=true"
    read -ra PHASES <<<"$COMPOSE_TEST_PHASES"
fi
TIMES=()
for name in "${PHASES[@]}"; do
    declare -F "phase_$name" >/dev/null || fail "no phase $name"
    say "== $name"
    t0=$(now)
    "phase_$name"
    TIMES+=("$name $(since "$t0")s")
    say "-- $name: $(since "$t0") s (total $(since "$START") s)"
    awk -v t="$(since "$START")" -v b="$BUDGET_S" 'BEGIN { exit !(t > b) }' &&
        fail "over budget: $(since "$START") s > $BUDGET_S s after $name"
done
if [[ -n ${COMPOSE_TEST_PHASES:-} ]]; then
    say "only the phases in COMPOSE_TEST_PHASES ran: not a full run"
    exit 0
fi
say "phases: ${TIMES[*]}"
figure "total: $(since "$START") s"
# printed by the teardown, after it has checked that nothing is left
SUMMARY="compose: $SERVICES services healthy in $HEALTHY_S s; replay $IN_RATE articles/s in containers, $OUT_RATE outside"
