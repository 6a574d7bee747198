#!/usr/bin/env bash
# Builds, without any container registry, the base images that sdmd's Dockerfile and compose.yaml need,
# from Debian's package mirror and this machine's own Node.js and Docker CLI. Each image is tagged by a
# hash of what went into it, so a second run finds it and does nothing. Prints `NAME=image` lines:
#   PYTHON_IMAGE      minimal Debian 12 with python3 (+venv), git, redis-server, ca-certificates
#   PYTHON_BUILD_IMAGE  the same plus binutils (`strip`, for the Dockerfile's build stage)
#   PYTHON_RUNTIME_IMAGE  the same less what sdmd's runtime never uses (deploy/slim-runtime.sh, venv and
#                     pip's wheels), flattened into one layer: the base of sdmd's final stage
#   NODE_IMAGE        the same plus this machine's Node.js and npm (for the web UI stage)
#   REDIS_IMAGE       the same root file system, running redis-server as the redis user
#   DOCKER_CLI_IMAGE  the docker CLI and the compose v2 plugin at the paths docker:cli images use
#   WHEELS_DIR        wheels of sdmd's dependencies, built by PYTHON_IMAGE's own Python (environment
#                     markers depend on its exact version), for deploy/wheels/ and PIP_NO_INDEX=1
# Used by tests/deploy/test_image.py; handy wherever Docker Hub is out of reach. Needs root (debootstrap).
set -euo pipefail

SUITE=${SDMD_DEBIAN_SUITE:-bookworm}
WORK=${SDMD_LOCAL_IMAGES_DIR:-/var/lib/sdmd-test/local-images}
PACKAGES=python3,python3-venv,ca-certificates,git
log() { printf '[local-images] %s\n' "$*" >&2; }

have_image() { docker image inspect "$1" >/dev/null 2>&1; }
short_hash() { sha256sum | cut -c1-12; }

debian_mirror() {
  # The mirror this machine's apt already uses, so no host name is hard-coded here.
  if [ -n "${SDMD_DEBIAN_MIRROR:-}" ]; then echo "$SDMD_DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(grep -rhoE '^(URIs:|deb)[[:space:]]+(\[[^]]*\][[:space:]]+)?https?://[^[:space:]]+/debian/?([[:space:]]|$)' \
        /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
        | grep -oE 'https?://[^[:space:]]+' | head -n1 || true)
  [ -n "$uri" ] || { log "no Debian mirror found in apt sources; set SDMD_DEBIAN_MIRROR"; exit 1; }
  echo "${uri%/}"
}

ensure_debootstrap() {
  command -v debootstrap >/dev/null 2>&1 && return 0
  log "installing debootstrap"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}

# -- the Debian root file system, shared by the Python, Node and Redis images --------------------------
recipe=$(printf '%s\n' "$SUITE" "$PACKAGES" "redis-server" "v1" | short_hash)
PYTHON_IMAGE="sdmd-local/debian-python:$SUITE-$recipe"
REDIS_IMAGE="sdmd-local/redis:$SUITE-$recipe"

build_rootfs_image() {
  ensure_debootstrap
  local root="$WORK/rootfs-$recipe" mirror
  mirror=$(debian_mirror)
  local attempt rc
  for attempt in 1 2 3; do  # a mirror has its bad minutes; a retry is cheaper than a red run
    rm -rf "$root"; mkdir -p "$root"
    log "debootstrap $SUITE (minbase + $PACKAGES) from $mirror into $root (attempt $attempt)"
    rc=0
    debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$mirror" >"$WORK/debootstrap.log" 2>&1 \
      || rc=$?
    [ "$rc" -eq 0 ] && break
    log "debootstrap failed (exit $rc); the end of its log:"
    tail -n 30 "$WORK/debootstrap.log" >&2 || true
    [ -f "$root/debootstrap/debootstrap.log" ] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
    [ "$attempt" -lt 3 ] || exit 1
    sleep $((attempt * 10))
  done
  # redis-server's maintainer scripts would start a daemon from inside the chroot; policy-rc.d forbids it.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"; chmod +x "$root/usr/sbin/policy-rc.d"
  chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server \
    >>"$WORK/debootstrap.log" 2>&1 || { tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }
  rm -f "$root/usr/sbin/policy-rc.d"
  chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/usr/share/doc/* "$root"/usr/share/man/* \
         "$root"/usr/share/info/* "$root"/var/log/*.log "$root"/tmp/* "$root"/root/.cache
  mkdir -p "$root/data"; chroot "$root" chown redis:redis /data
  log "importing $PYTHON_IMAGE"
  tar -C "$root" --numeric-owner -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' \
    --change "LABEL sdmd.local-base=$recipe" - "$PYTHON_IMAGE" >/dev/null
  rm -rf "$root"
}

# A Dockerfile build that adds only metadata (and, for Node, two files) on top of the Debian image.
build_from() { # build_from TAG CONTEXT_DIR DOCKERFILE_TEXT
  local tag=$1 ctx=$2
  printf '%s\n' "$3" >"$ctx/Dockerfile"
  docker build -q -t "$tag" "$ctx" >/dev/null 2>"$WORK/build.log" || { cat "$WORK/build.log" >&2; exit 1; }
}

mkdir -p "$WORK"
# One build at a time: two runs would share $WORK's root file systems and logs (a second waits, then finds
# the images the first built).
exec 9>"$WORK/.lock"
flock 9
have_image "$PYTHON_IMAGE" || build_rootfs_image

if ! have_image "$REDIS_IMAGE"; then
  ctx=$(mktemp -d "$WORK/redis.XXXX")
  build_from "$REDIS_IMAGE" "$ctx" "FROM $PYTHON_IMAGE
USER redis
WORKDIR /data
EXPOSE 6379
CMD [\"redis-server\", \"--protected-mode\", \"no\", \"--dir\", \"/data\"]"
  rm -rf "$ctx"
fi

# -- the build stage's base (binutils) and the runtime's base (pruned, one layer) -------------------------
python_id=$(docker image inspect -f '{{.Id}}' "$PYTHON_IMAGE")
PYTHON_BUILD_IMAGE="sdmd-local/debian-python-build:$SUITE-$( { echo "$python_id"; echo binutils-v2; } | short_hash)"
if ! have_image "$PYTHON_BUILD_IMAGE"; then
  log "building $PYTHON_BUILD_IMAGE (binutils from Debian's mirror)"
  name="sdmd-local-build-$$"
  docker run --name "$name" --label sdmd.local-base=build "$PYTHON_IMAGE" sh -c 'apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends binutils >/dev/null \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin' >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; docker rm -f "$name"; exit 1; }
  docker commit "$name" "$PYTHON_BUILD_IMAGE" >/dev/null
  docker rm "$name" >/dev/null
fi

slim_script="$(dirname "$0")/../deploy/slim-runtime.sh"
PYTHON_RUNTIME_IMAGE="sdmd-local/debian-python-runtime:$SUITE-$( { echo "$python_id"; cat "$slim_script"; echo v1; } \
                      | short_hash)"
if ! have_image "$PYTHON_RUNTIME_IMAGE"; then
  log "building $PYTHON_RUNTIME_IMAGE ($PYTHON_IMAGE pruned by deploy/slim-runtime.sh, one layer)"
  name="sdmd-local-runtime-$$"
  # A removal in a layer of its own would only hide files: the pruned tree is exported and imported whole.
  docker create --name "$name" --label sdmd.local-base=runtime "$PYTHON_IMAGE" sh -c '
    dpkg --purge python3-venv python3.11-venv python3-pip-whl python3-setuptools-whl >/dev/null \
    && sh /slim-runtime.sh && rm -f /slim-runtime.sh' >/dev/null
  docker cp "$slim_script" "$name:/slim-runtime.sh"
  docker start -a "$name" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; docker rm -f "$name"; exit 1; }
  docker export "$name" | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' \
    --change "LABEL sdmd.local-base=$recipe-runtime" - "$PYTHON_RUNTIME_IMAGE" >/dev/null
  docker rm "$name" >/dev/null
fi

# -- Node.js: this machine's, or Debian's when it has none ---------------------------------------------
node_bin=$(command -v node || true)
if [ -n "$node_bin" ]; then
  node_bin=$(readlink -f "$node_bin")
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  node_tag=$( { "$node_bin" --version; cat "$npm_dir/package.json"; echo "$PYTHON_IMAGE"; } | short_hash)
  NODE_IMAGE="sdmd-local/node:$("$node_bin" --version | tr -d v)-$node_tag"
  if ! have_image "$NODE_IMAGE"; then
    log "building $NODE_IMAGE from this machine's Node.js $("$node_bin" --version)"
    ctx=$(mktemp -d "$WORK/node.XXXX")
    cp "$node_bin" "$ctx/node"; cp -a "$npm_dir" "$ctx/npm"
    build_from "$NODE_IMAGE" "$ctx" "FROM $PYTHON_IMAGE
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && node --version && npm --version
CMD [\"node\"]"
    rm -rf "$ctx"
  fi
else
  NODE_IMAGE="sdmd-local/node:debian-$recipe"
  if ! have_image "$NODE_IMAGE"; then
    log "no Node.js here: building $NODE_IMAGE with Debian's nodejs and npm"
    ctx=$(mktemp -d "$WORK/node.XXXX")
    build_from "$NODE_IMAGE" "$ctx" "FROM $PYTHON_IMAGE
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*"
    rm -rf "$ctx"
  fi
fi

# -- the docker CLI and the compose plugin, laid out like the docker:cli image -------------------------
docker_bin=$(readlink -f "$(command -v docker)")
compose_bin=$(docker info --format '{{range .ClientInfo.Plugins}}{{if eq .Name "compose"}}{{.Path}}{{end}}{{end}}' \
              2>/dev/null || true)
[ -n "$compose_bin" ] || compose_bin=/usr/libexec/docker/cli-plugins/docker-compose
compose_bin=$(readlink -f "$compose_bin")
cli_tag=$(cat "$docker_bin" "$compose_bin" | short_hash)
DOCKER_CLI_IMAGE="sdmd-local/docker-cli:$cli_tag"
if ! have_image "$DOCKER_CLI_IMAGE"; then
  log "building $DOCKER_CLI_IMAGE from $docker_bin and $compose_bin"
  ctx=$(mktemp -d "$WORK/cli.XXXX")
  cp "$docker_bin" "$ctx/docker"; cp "$compose_bin" "$ctx/docker-compose"
  build_from "$DOCKER_CLI_IMAGE" "$ctx" "FROM scratch
COPY docker /usr/local/bin/docker
COPY docker-compose /usr/local/libexec/docker/cli-plugins/docker-compose"
  rm -rf "$ctx"
fi

# -- a wheelhouse for pyproject.toml's dependencies, made by the image's Python -------------------------
requirements=$(python3 - "$(dirname "$0")/../pyproject.toml" <<'PY'
import sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"]["dashboard"] + ["setuptools>=69"]))
PY
)
WHEELS_DIR="$WORK/wheels-$( { echo "$requirements"; docker image inspect -f '{{.Id}}' "$PYTHON_IMAGE"; } | short_hash)"
if [ ! -f "$WHEELS_DIR/.complete" ]; then
  log "building wheels for sdmd's dependencies with $PYTHON_IMAGE's Python into $WHEELS_DIR"
  rm -rf "$WORK"/wheels-*; mkdir -p "$WHEELS_DIR"  # older wheelhouses were for older requirements
  echo "$requirements" >"$WHEELS_DIR/requirements.txt"
  # The host's CA bundle: it trusts whatever TLS proxy stands between this machine and the index.
  docker run --rm -v "$WHEELS_DIR:/wheels" -v /etc/ssl/certs/ca-certificates.crt:/host-ca.crt:ro \
    -e PIP_CERT=/host-ca.crt -e PIP_DISABLE_PIP_VERSION_CHECK=1 --label sdmd.local-base=wheels \
    "$PYTHON_IMAGE" sh -c 'python3 -m venv /tmp/venv && /tmp/venv/bin/pip wheel -q -w /wheels \
      -r /wheels/requirements.txt' >&2
  touch "$WHEELS_DIR/.complete"
fi

echo "PYTHON_IMAGE=$PYTHON_IMAGE"
echo "PYTHON_BUILD_IMAGE=$PYTHON_BUILD_IMAGE"
echo "PYTHON_RUNTIME_IMAGE=$PYTHON_RUNTIME_IMAGE"
echo "NODE_IMAGE=$NODE_IMAGE"
echo "REDIS_IMAGE=$REDIS_IMAGE"
echo "DOCKER_CLI_IMAGE=$DOCKER_CLI_IMAGE"
echo "WHEELS_DIR=$WHEELS_DIR"
