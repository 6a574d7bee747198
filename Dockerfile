# sdmd: the API, the web UI, the worker and the scheduler, in one image (compose.yaml runs each).
#
#   docker build -t sdmd:latest .
#   docker build --build-arg DOCKER_GID=$(stat -c %g /var/run/docker.sock) -t sdmd:latest .
#
# Base images are build arguments, so a mirror or locally built bases can stand in for Docker Hub's
# (scripts/local_images.sh builds them from Debian's packages; tests/deploy/test_image.py uses those).
# Offline builds: put wheels in deploy/wheels/ and pass --build-arg PIP_NO_INDEX=1. When the context
# carries web/node_modules, `npm ci` is skipped (.dockerignore keeps them out of a normal build;
# tests/deploy builds from a copy of the context that lets them in).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim
ARG DOCKER_CLI_IMAGE=docker:27-cli

FROM ${DOCKER_CLI_IMAGE} AS docker-cli

# -- 1. the web UI: a Next.js static export (web/out), when the context has web/ ------------------------
FROM ${NODE_IMAGE} AS web
ENV NEXT_TELEMETRY_DISABLED=1 npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
WORKDIR /web
# `web*` may match nothing (an API-only checkout); pyproject.toml keeps the COPY valid on every builder.
COPY pyproject.toml web* /web/
RUN mkdir -p /out \
 && if [ -f package.json ]; then \
      if [ ! -d node_modules ]; then npm ci; fi \
      && npm run build && cp -a out/. /out/; \
    else echo "no web/ in the build context: this image serves the API only"; fi

# -- 2. sdmd and its dependencies in a virtualenv -----------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ARG PIP_INDEX_URL
ARG PIP_NO_INDEX
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_FIND_LINKS=/wheels
RUN python3 -m venv /opt/sdmd
COPY deploy/wheels/ /wheels/
COPY pyproject.toml README.md /src/
# Dependencies first, from pyproject.toml alone, so editing sdmd's code does not reinstall them.
RUN python3 -c 'import tomllib; p = tomllib.load(open("/src/pyproject.toml", "rb"))["project"]; \
print("\n".join(p["dependencies"] + p["optional-dependencies"]["dashboard"] + ["setuptools>=69"]))' \
    >/tmp/requirements.txt \
 && /opt/sdmd/bin/pip install -r /tmp/requirements.txt
COPY sdmd /src/sdmd
COPY --from=web /out /src/sdmd/static
# pip and setuptools have done their work; the runtime does not install packages.
RUN /opt/sdmd/bin/pip install --no-deps --no-build-isolation /src && /opt/sdmd/bin/sdmd --help >/dev/null \
 && /opt/sdmd/bin/pip uninstall -q -y pip setuptools

# -- 3. the runtime -----------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# The sdmd user reaches /var/run/docker.sock through the group that owns it on the host. DOCKER_GID
# bakes that group id in; compose.yaml also adds it at run time (group_add), so a prebuilt image works
# on any host: set DOCKER_GID=$(stat -c %g /var/run/docker.sock) in .env.
ARG DOCKER_GID=999
ARG SDMD_UID=10001
# git: the stacks folder is a git repository; redis-server: `docker run` without compose still gets
# scheduled updates (sdmd starts a private one when SDMD_REDIS_URL is unset).
RUN missing=""; for p in git redis-server ca-certificates; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done; \
    if [ -n "$missing" ]; then \
      apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
 && groupadd --system --gid "$SDMD_UID" sdmd \
 && useradd --system --uid "$SDMD_UID" --gid sdmd --home-dir /data --shell /usr/sbin/nologin sdmd \
 && (getent group "$DOCKER_GID" >/dev/null || groupadd --system --gid "$DOCKER_GID" docker-host) \
 && usermod -aG "$(getent group "$DOCKER_GID" | cut -d: -f1)" sdmd \
 && mkdir -p /data /stacks && chown sdmd:sdmd /data /stacks
COPY --from=docker-cli /usr/local/bin/docker /usr/local/bin/docker
COPY --from=docker-cli /usr/local/libexec/docker/cli-plugins/docker-compose /usr/local/libexec/docker/cli-plugins/docker-compose
COPY --from=build /opt/sdmd /opt/sdmd
ENV PATH=/opt/sdmd/bin:$PATH \
    PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    SDMD_DATA_DIR=/data SDMD_STACKS_DIR=/stacks \
    DOCKER_CONFIG=/data/.docker
USER sdmd
WORKDIR /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-m", "sdmd.health.selfcheck", "/healthz"]
CMD ["sdmd", "serve", "--host", "0.0.0.0", "--port", "8000"]
