#!/usr/bin/env bash
# The container image built and run for real: build, non-root, model prepared at build time (scores with
# no network), migrate, `newsroom web` healthy, `newsroom worker` scoring a post ingested through the
# web process, and compose.yaml brought up. Needs a Docker daemon and a PostgreSQL that containers on the
# host network reach; not part of the test suite (CI has no daemon). See docs/deploy.md.
#   deploy/docker-smoke.sh
# Settings (environment):
#   PYTHON_IMAGE, NODE_IMAGE, TORCH_INDEX_URL  build arguments; unset, the Dockerfile's public defaults
#   TORCH_WHEELS=DIR      build from a local index of torch's CPU wheel found in DIR (pip's find-links)
#                         and its dependencies, served on 127.0.0.1 (for a machine without the PyTorch index)
#   BUILD_NETWORK         network of the build containers (default host: works on a daemon without NAT)
#   SMOKE_POSTGRES_URL    an admin URL of that PostgreSQL (default postgresql://postgres@127.0.0.1:5432/postgres);
#                         a database newsroom_smoke_<pid> is created in it and dropped at the end
#   SMOKE_PORT            host port of the web container (default 18000); compose's web gets SMOKE_PORT+1
#   COMPOSE=auto|yes|no   also bring up compose.yaml (auto: when `docker compose` or docker-compose exists)
#   POSTGRES_IMAGE        compose's PostgreSQL image (default postgres:16)
#   IMAGE                 the tag built and checked (default newsroom:smoke); SKIP_BUILD=1 checks it as is
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-newsroom:smoke}
BUILD_NETWORK=${BUILD_NETWORK:-host}
SMOKE_POSTGRES_URL=${SMOKE_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
SMOKE_PORT=${SMOKE_PORT:-18000}
COMPOSE=${COMPOSE:-auto}
run_id=$$
db=newsroom_smoke_$run_id
database_url="${SMOKE_POSTGRES_URL%/*}/$db"
key=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
web=newsroom-smoke-web-$run_id
worker=newsroom-smoke-worker-$run_id
project=newsroom-smoke-$run_id
tmp=$(mktemp -d)
index_pid=""
compose_cmd=()
db_created=""

say() { printf '\n== %s\n' "$*"; }
fail() {
    printf '\nFAILED: %s\n' "$*" >&2
    for c in "$web" "$worker"; do
        docker container inspect "$c" >/dev/null 2>&1 && { echo "--- logs of $c" >&2; docker logs --tail 40 "$c" >&2 || true; }
    done
    if [ ${#compose_cmd[@]} -gt 0 ]; then "${compose_cmd[@]}" logs --tail 40 >&2 || true; fi
    exit 1
}
# SQL as the admin, through the image's own psycopg (no psql needed on the host).
admin_sql() {
    docker run --rm --network host --entrypoint python "$IMAGE" -c \
        "import sys, psycopg; c = psycopg.connect(sys.argv[1], autocommit=True); c.execute(sys.argv[2])" \
        "$SMOKE_POSTGRES_URL" "$1"
}
cleanup() {
    docker rm -f "$web" "$worker" >/dev/null 2>&1 || true
    if [ ${#compose_cmd[@]} -gt 0 ]; then "${compose_cmd[@]}" down -v --remove-orphans >/dev/null 2>&1 || true; fi
    [ -n "$db_created" ] && { admin_sql "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true; }
    [ -n "$index_pid" ] && kill "$index_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
# Polls a command until it succeeds: wait_for SECONDS DESCRIPTION COMMAND...
wait_for() {
    local limit=$1 what=$2; shift 2
    local start=$SECONDS
    until "$@"; do
        [ $((SECONDS - start)) -ge "$limit" ] && fail "$what: not within ${limit}s"
        sleep 3
    done
    echo "ok: $what ($((SECONDS - start))s)"
}
health_is() { [ "$(docker inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null)" = "$2" ]; }
metric() {  # metric URL NAME: the value of an unlabelled metric
    python3 -c "import sys, urllib.request
for line in urllib.request.urlopen(sys.argv[1], timeout=5).read().decode().splitlines():
    if line.split(' ')[0] == sys.argv[2]: print(line.split(' ')[1])" "$1" "$2"
}

if [ "${SKIP_BUILD:-}" != 1 ]; then
    build_args=()
    if [ -n "${TORCH_WHEELS:-}" ]; then
        say "A local torch index from $TORCH_WHEELS"
        pip download --quiet --only-binary=:all: --python-version 3.11 --platform manylinux_2_28_x86_64 \
            --find-links "$TORCH_WHEELS" -d "$tmp/wheels" "torch==2.13.0"
        for wheel in "$tmp"/wheels/*.whl; do  # PEP 503: one folder per normalised project name
            name=$(basename "$wheel"); project_dir=$(echo "${name%%-*}" | tr 'A-Z_.' 'a-z--')
            mkdir -p "$tmp/index/$project_dir" && mv "$wheel" "$tmp/index/$project_dir/"
        done
        port=$((SMOKE_PORT + 765))
        python3 -m http.server "$port" --bind 127.0.0.1 --directory "$tmp/index" >/dev/null 2>&1 &
        index_pid=$!
        TORCH_INDEX_URL=http://127.0.0.1:$port/
    fi
    for arg in PYTHON_IMAGE NODE_IMAGE TORCH_INDEX_URL; do
        [ -n "${!arg:-}" ] && build_args+=(--build-arg "$arg=${!arg}")
    done
    say "docker build ${build_args[*]:-} -t $IMAGE ."
    start=$SECONDS
    docker build --network "$BUILD_NETWORK" "${build_args[@]}" -t "$IMAGE" . || fail "docker build"
    echo "ok: built in $((SECONDS - start))s"
fi
docker image inspect -f 'image size: {{.Size}} bytes' "$IMAGE"

say "The image: user, CPU-only torch, shipped files"
uid=$(docker run --rm --entrypoint id "$IMAGE" -u)
[ "$uid" != 0 ] || fail "the image runs as root"
echo "ok: runs as uid $uid"
docker run --rm --network none --entrypoint python "$IMAGE" -c "
import torch, importlib.metadata as m
assert not torch.cuda.is_available() and torch.version.cuda is None, 'a CUDA build of torch'
assert not [d for d in m.distributions() if d.metadata['Name'].startswith('nvidia-')], 'CUDA libraries installed'
from core.ingest.imports import MAPPINGS
assert (MAPPINGS / 'coosto.toml').is_file(), f'import mappings missing in {MAPPINGS}'
print('ok: torch', torch.__version__, 'CPU only; import mappings in', MAPPINGS)" || fail "image contents"

say "Scoring with no network and a read-only file system (the model was prepared at build time)"
out=$(printf 'Wat een prachtige nieuwe bibliotheek, echt een aanwinst voor de stad!\nDe bus is weer te laat, dit is echt belachelijk.\n' |
      docker run --rm -i --network none --read-only --tmpfs /tmp -e NEWSROOM_PSEUDONYM_KEY="$key" "$IMAGE" sentiment score) ||
    fail "sentiment score offline"
echo "$out"
[ "$(echo "$out" | grep -c '"label"')" = 2 ] || fail "expected two scored lines"

say "Migrate a fresh database ($db)"
admin_sql "CREATE DATABASE $db" && db_created=1
env_args=(-e NEWSROOM_DATABASE_URL="$database_url" -e NEWSROOM_PSEUDONYM_KEY="$key" -e NEWSROOM_API_TOKEN="$token")
docker run --rm --network host "${env_args[@]}" "$IMAGE" migrate || fail "newsroom migrate"

say "newsroom web (health check every 5s instead of 30s; the check itself is the image's)"
docker run -d --name "$web" --network host --health-interval 5s "${env_args[@]}" -e NEWSROOM_PORT="$SMOKE_PORT" \
    "$IMAGE" web >/dev/null
wait_for 120 "web container healthy" health_is "$web" healthy
curl -fsS "http://127.0.0.1:$SMOKE_PORT/healthz" && echo
pid1_uid=$(docker exec "$web" awk '/^Uid:/ {print $2}' /proc/1/status)
[ "$pid1_uid" != 0 ] || fail "the web process runs as root"
echo "ok: the web process runs as uid $pid1_uid"

say "newsroom worker: scores a post ingested through the web process"
docker run -d --name "$worker" --network host --health-interval 5s "${env_args[@]}" -e NEWSROOM_THREADS=1 \
    "$IMAGE" worker --concurrency 2 >/dev/null
workers_up() { local n; n=$(metric "http://127.0.0.1:$SMOKE_PORT/metrics" newsroom_task_workers); [ "${n%.*}" -ge 1 ] 2>/dev/null; }
wait_for 90 "worker heartbeat (newsroom_task_workers >= 1)" workers_up
now=$(date -u +%Y-%m-%dT%H:%M:%S+00:00)
printf '{"source": "oogtv", "external_id": "smoke-%s", "url": "https://www.oogtv.nl/smoke-%s", "text": "De nieuwe fietsenstalling bij het station in Groningen is geweldig, eindelijk genoeg plek!", "published_at": "%s"}\n' \
    "$run_id" "$run_id" "$now" > "$tmp/post.jsonl"
answer=$(curl -fsS -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/x-ndjson' \
    --data-binary @"$tmp/post.jsonl" "http://127.0.0.1:$SMOKE_PORT/api/ingest") || fail "POST /api/ingest"
echo "$answer"
echo "$answer" | grep -q '"new": *1' || fail "the post was not stored as new"
scored() {
    local unscored
    unscored=$(metric "http://127.0.0.1:$SMOKE_PORT/metrics" newsroom_scoring_queue_length)
    [ "${unscored%.*}" = 0 ]
}
wait_for 180 "the worker scored the post (newsroom_scoring_queue_length 0)" scored
wait_for 60 "worker container healthy (the image's check, worker role)" health_is "$worker" healthy
docker rm -f "$web" "$worker" >/dev/null

if [ "$COMPOSE" != no ]; then
    if docker compose version >/dev/null 2>&1; then compose_cmd=(docker compose)
    elif command -v docker-compose >/dev/null; then compose_cmd=(docker-compose)
    elif [ "$COMPOSE" = yes ]; then fail "no docker compose or docker-compose"
    fi
fi
if [ ${#compose_cmd[@]} -gt 0 ]; then
    say "compose.yaml (${compose_cmd[*]}, project $project)"
    export NEWSROOM_IMAGE=$IMAGE NEWSROOM_PSEUDONYM_KEY=$key NEWSROOM_API_TOKEN=$token NEWSROOM_WEB_PORT=$((SMOKE_PORT + 1))
    compose_cmd+=(-p "$project")
    "${compose_cmd[@]}" up -d --no-build --scale worker=2 || fail "compose up"
    web_id=$("${compose_cmd[@]}" ps -q web)
    wait_for 150 "compose web healthy" health_is "$web_id" healthy
    for w in $("${compose_cmd[@]}" ps -q worker); do
        wait_for 150 "compose worker $w healthy" health_is "$w" healthy
    done
    migrate_id=$("${compose_cmd[@]}" ps -a -q migrate)
    [ "$(docker inspect -f '{{.State.ExitCode}}' "$migrate_id")" = 0 ] || fail "compose migrate"
    echo "ok: migrate exited 0"
    curl -fsS "http://127.0.0.1:$NEWSROOM_WEB_PORT/healthz" && echo
    "${compose_cmd[@]}" ps
fi
say "All checks passed"
