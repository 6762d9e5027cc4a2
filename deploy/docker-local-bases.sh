#!/usr/bin/env bash
# Local stand-ins for the image's public base images, for a machine that reaches Debian's mirror, PyPI
# and npm but no image registry (Docker Hub). Test builds only: production builds use the real images.
#   deploy/docker-local-bases.sh        # then: deploy/docker-smoke.sh with the build args it prints
# Builds, from a debootstrap of Debian bookworm (its python3 is 3.11, its nodejs 18):
#   local/python:3.11-slim-bookworm  for python:3.11-slim-bookworm
#   local/node:20-bookworm-slim      for node:20-bookworm-slim
#   local/postgres:15                for postgres:16 in compose.yaml (Debian's PostgreSQL 15, with the
#                                    official image's POSTGRES_USER/PASSWORD/DB on first start)
# Extra CA certificates in /usr/local/share/ca-certificates (a TLS-inspecting egress proxy) are copied
# in, so pip and npm inside the build trust them. Needs root, debootstrap and a running dockerd.
set -euo pipefail
work=${WORK_DIR:-/tmp/newsroom-local-bases}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
network=${BUILD_NETWORK:-host}   # the build containers need the mirror; a bare dockerd may have no NAT
mkdir -p "$work"

if ! docker image inspect local/bookworm >/dev/null 2>&1; then
    rm -rf "$work/rootfs"
    debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror"
    rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
    tar -C "$work/rootfs" -c . | docker import - local/bookworm
    rm -rf "$work/rootfs"
fi

# The shared layer: CA certificates, the host's extra ones included.
mkdir -p "$work/ca/extra"
cp /usr/local/share/ca-certificates/*.crt "$work/ca/extra/" 2>/dev/null || true
cat > "$work/ca/Dockerfile" <<'DOCKERFILE'
FROM local/bookworm
ENV LANG=C.UTF-8
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY extra/ /usr/local/share/ca-certificates/
RUN update-ca-certificates
# pip and npm carry their own CA lists; point them at the system's.
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
DOCKERFILE
docker build --network "$network" -t local/bookworm-ca "$work/ca"

build() {  # tag, packages, extra Dockerfile lines
    mkdir -p "$work/$1"
    printf 'FROM local/bookworm-ca\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends %s && rm -rf /var/lib/apt/lists/*\n%s\n' \
        "$2" "$3" > "$work/$1/Dockerfile"
    [ -n "${4:-}" ] && cp "$4" "$work/$1/"
    docker build --network "$network" -t "$1" "$work/$1"
}
build local/python:3.11-slim-bookworm "python3 python3-venv" \
    'RUN ln -s /usr/bin/python3 /usr/local/bin/python
CMD ["python3"]'
build local/node:20-bookworm-slim "nodejs npm" 'CMD ["node"]'

# PostgreSQL: initdb with the official image's environment variables on an empty data directory.
cat > "$work/postgres-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/sh
set -e
export PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=${PGDATA:-/var/lib/postgresql/data}
mkdir -p "$PGDATA" /run/postgresql && chown postgres:postgres "$PGDATA" /run/postgresql && chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    printf '%s\n' "${POSTGRES_PASSWORD:?}" > /tmp/pwfile && chown postgres /tmp/pwfile
    su postgres -c "initdb -D '$PGDATA' -U '${POSTGRES_USER:-postgres}' --pwfile=/tmp/pwfile --auth-local=trust --auth-host=scram-sha-256"
    rm /tmp/pwfile
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    su postgres -c "pg_ctl -D '$PGDATA' -o \"-c listen_addresses=''\" -w start"
    if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != "${POSTGRES_USER:-postgres}" ]; then
        su postgres -c "createdb -U '${POSTGRES_USER:-postgres}' '$POSTGRES_DB'"
    elif [ "${POSTGRES_USER:-postgres}" != postgres ]; then
        su postgres -c "createdb -U '$POSTGRES_USER' '$POSTGRES_USER'"
    fi
    su postgres -c "pg_ctl -D '$PGDATA' -m fast -w stop"
fi
exec su postgres -c "exec postgres -D '$PGDATA' -c listen_addresses='*'"
ENTRYPOINT
chmod +x "$work/postgres-entrypoint.sh"
build local/postgres:15 "postgresql-15" \
    'ENV PATH=/usr/lib/postgresql/15/bin:$PATH
COPY postgres-entrypoint.sh /usr/local/bin/
ENTRYPOINT ["postgres-entrypoint.sh"]
EXPOSE 5432' "$work/postgres-entrypoint.sh"

echo "Stand-ins built. Test build:"
echo "  PYTHON_IMAGE=local/python:3.11-slim-bookworm NODE_IMAGE=local/node:20-bookworm-slim POSTGRES_IMAGE=local/postgres:15 deploy/docker-smoke.sh"
