#!/usr/bin/env bash
# Installs and starts what sdmd's tests need on a Debian 12 machine, as root, idempotently:
# Docker engine, the compose v2 plugin, a registry on 127.0.0.1:5000 with busybox test images,
# Redis on 127.0.0.1:6379 and PostgreSQL on 127.0.0.1:5432. Safe to run again: it skips what is there.
set -euo pipefail

STATE_DIR=${SDMD_PROVISION_DIR:-/var/lib/sdmd-test}
mkdir -p "$STATE_DIR"
log() { printf '[provision] %s\n' "$*" >&2; }

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ $apt_updated -eq 0 ]; then apt-get update -qq; apt_updated=1; fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

wait_for() { # wait_for SECONDS CMD...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && { log "timed out waiting for: $*"; return 1; }
    sleep 0.5
  done
}

docker_engine() {
  apt_install docker.io iptables ca-certificates
  local pid
  pid=$(cat /var/run/docker.pid 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && ! timeout 30 docker info >/dev/null 2>&1; then
    # the daemon runs but does not answer (wedged): restart it, or everything below waits on it
    log "dockerd (pid $pid) does not answer; restarting it"
    kill "$pid" || true
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f /var/run/docker.pid
  fi
  if ! timeout 30 docker info >/dev/null 2>&1; then
    # Docker's default pools give room for ~30 bridge networks, one per compose project; the tests and
    # benchmarks run more projects than that at once, so offer /24s from one larger private range.
    # docker0 keeps its usual /16 (bip), or it too would get a /24 and hold only 254 containers.
    if [ ! -f /etc/docker/daemon.json ] || grep -q '10.213.0.0' /etc/docker/daemon.json; then
      mkdir -p /etc/docker
      echo '{"bip": "172.17.0.1/16", "default-address-pools": [{"base": "10.213.0.0/16", "size": 24}]}' \
        >/etc/docker/daemon.json
    fi
    log "starting dockerd"
    nohup dockerd --host unix:///var/run/docker.sock >"$STATE_DIR/dockerd.log" 2>&1 &
    wait_for 60 docker info
  fi
}

compose_plugin() {
  docker compose version >/dev/null 2>&1 && return 0
  # Debian 12 ships only compose v1; Debian 13's docker-compose (v2) needs only libc6 >= 2.34.
  log "fetching compose v2 from Debian trixie (private lists, system sources untouched)"
  local dir="$STATE_DIR/trixie-apt"
  mkdir -p "$dir/lists/partial" "$dir/archives/partial"
  echo "deb http://deb.debian.org/debian trixie main" >"$dir/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$dir/sources.list" -o "Dir::Etc::SourceParts=-"
              -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache::Archives=$dir/archives"
              -o "APT::Get::List-Cleanup=0")
  apt-get "${opts[@]}" update -qq
  (cd "$dir" && apt-get "${opts[@]}" download docker-compose)
  dpkg -i --force-depends "$dir"/docker-compose_*.deb >/dev/null
  docker compose version
}

registry() {
  apt_install docker-registry
  if ! curl -fsS http://127.0.0.1:5000/v2/ >/dev/null 2>&1; then
    log "starting registry on 127.0.0.1:5000"
    mkdir -p "$STATE_DIR/registry"
    cat >"$STATE_DIR/registry.yml" <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $STATE_DIR/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
YML
    nohup docker-registry serve "$STATE_DIR/registry.yml" >"$STATE_DIR/registry.log" 2>&1 &
    wait_for 30 curl -fsS http://127.0.0.1:5000/v2/
  fi
}

test_images() {
  apt_install busybox-static
  local root="$STATE_DIR/rootfs"
  if ! docker image inspect 127.0.0.1:5000/sdmd-test/app:1 >/dev/null 2>&1 \
     || ! curl -fsS http://127.0.0.1:5000/v2/sdmd-test/app/manifests/1 \
          -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' >/dev/null 2>&1; then
    log "building busybox test images"
    rm -rf "$root"; mkdir -p "$root/bin" "$root/tmp" "$root/www" "$root/etc"
    cp /bin/busybox "$root/bin/busybox"
    for applet in $(/bin/busybox --list); do
      [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
    done
    echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
    echo 'root:x:0:' >"$root/etc/group"
    echo 1 >"$root/VERSION"
    echo 'sdmd test app v1' >"$root/www/index.html"
    tar -C "$root" -c . | docker import --change 'CMD ["sh"]' --change 'ENV PATH=/bin' - 127.0.0.1:5000/sdmd-test/app:1 >/dev/null
    echo 2 >"$root/VERSION"; echo 'sdmd test app v2' >"$root/www/index.html"
    tar -C "$root" -c . | docker import --change 'CMD ["sh"]' --change 'ENV PATH=/bin' - 127.0.0.1:5000/sdmd-test/app:2 >/dev/null
    docker push -q 127.0.0.1:5000/sdmd-test/app:1 >/dev/null
    docker push -q 127.0.0.1:5000/sdmd-test/app:2 >/dev/null
  fi
}

redis() {
  apt_install redis-server
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    log "starting redis on 127.0.0.1:6379"
    redis-server --port 6379 --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
      --logfile "$STATE_DIR/redis.log"
    wait_for 20 redis-cli -h 127.0.0.1 -p 6379 ping
  fi
}

postgres() {
  apt_install postgresql postgresql-client
  local bindir; bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  local data="$STATE_DIR/pgdata"
  if ! pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
    log "starting postgresql on 127.0.0.1:5432"
    if [ ! -f "$data/PG_VERSION" ]; then
      mkdir -p "$data"; chown postgres:postgres "$data"
      su postgres -c "$bindir/initdb -D $data -A trust -U postgres" >/dev/null
    fi
    mkdir -p "$STATE_DIR/pgsock"; chown postgres:postgres "$STATE_DIR/pgsock"
    su postgres -c "$bindir/pg_ctl -D $data -l $STATE_DIR/pgsock/postgres.log -w -o \"-c listen_addresses=127.0.0.1 -p 5432 -k $STATE_DIR/pgsock -c fsync=off\" start" >/dev/null
    wait_for 30 pg_isready -h 127.0.0.1 -p 5432
  fi
  psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='sdmd_test'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE sdmd_test" >/dev/null
}

deploy_tools() { # tests/deploy builds its base images with debootstrap (scripts/local_images.sh)
  apt_install debootstrap
}

remote_hosts() { # tests/hosts runs sshd (and dockerd) in network namespaces it makes
  local had_sshd=1
  dpkg -s openssh-server >/dev/null 2>&1 || had_sshd=0
  apt_install openssh-server iproute2 util-linux
  if [ $had_sshd = 0 ] && [ -d /run/systemd/system ]; then
    systemctl disable --now ssh >/dev/null 2>&1 || true  # installed for the tests only: no sshd on port 22
  fi
}

browser() {
  apt_install chromium chromium-driver fonts-dejavu-core
}

apt_install curl git
for part in "${@:-docker_engine compose_plugin registry test_images redis postgres browser deploy_tools remote_hosts}"; do
  for p in $part; do "$p"; done
done
log "ready"
