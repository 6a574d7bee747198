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
# The build stage and the final stage may each have their own variant of it (scripts/local_images.sh makes
# one with binutils and one pruned to what the runtime uses); both default to PYTHON_IMAGE.
ARG PYTHON_BUILD_IMAGE=${PYTHON_IMAGE}
ARG PYTHON_RUNTIME_IMAGE=${PYTHON_IMAGE}
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
FROM ${PYTHON_BUILD_IMAGE} AS build
ARG PIP_INDEX_URL
ARG PIP_NO_INDEX
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_FIND_LINKS=/wheels
# binutils (strip) lives in this stage only; the final stage gets stripped files.
RUN command -v strip >/dev/null 2>&1 || { apt-get update \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends binutils \
      && rm -rf /var/lib/apt/lists/*; } \
 && python3 -m venv /opt/sdmd
COPY deploy/wheels/ /wheels/
COPY pyproject.toml README.md /src/
# Dependencies first, from pyproject.toml alone, so editing sdmd's code does not reinstall them.
RUN python3 -c 'import tomllib; p = tomllib.load(open("/src/pyproject.toml", "rb"))["project"]; \
print("\n".join(p["dependencies"] + p["optional-dependencies"]["dashboard"] + ["setuptools>=69"]))' \
    >/tmp/requirements.txt \
 && /opt/sdmd/bin/pip install -r /tmp/requirements.txt
COPY sdmd /src/sdmd
COPY --from=web /out /src/sdmd/static
COPY deploy/check-image.py /src/check-image.py
# pip and setuptools have done their work; the runtime does not install packages. What the runtime never
# reads goes too (issue 19: the image <= 250 MB):
# - debug symbols of the wheels' native libraries (strip --strip-unneeded: uvloop 13 -> 1.6 MB,
#   SQLAlchemy's Cython modules 10 -> 2 MB, cryptography 14 -> 11 MB; 28 MB in all);
# - the packages' own test suites and test helpers (sqlalchemy.testing, alembic.testing, mako.testing,
#   croniter/tests, certifi/tests, a stray top-level tests/), Cython sources, type stubs (.pyi),
#   apprise's translations (sdmd's notifications are in English; apprise falls back to it when the
#   catalogue is missing);
# - the third-party packages' sources (27 MB): they ship as sourceless bytecode, a legacy .pyc beside
#   each module (compileall -b), which CPython imports when no .py is there. sdmd runs as a user who
#   cannot write .pyc files, so the bytecode itself must be in the image (or every start and every CLI
#   command would compile its imports again); the .py beside it only served tracebacks, which still
#   name the file and line (the lines' text is missing). compileall is given the absolute path, so the
#   names in tracebacks are where the sources were. Some keep their sources and __pycache__: sdmd
#   itself (its tracebacks, with their lines, are what bug reports carry; its Alembic migrations are
#   read as scripts), apprise's plugins/, config/ and attachment/ (apprise finds its plugins by listing
#   those folders for *.py files: with .pyc alone it would find none) and anyio (it reads its own
#   __init__.py to set up its lazy imports, else imports every submodule at start).
#   deploy/check-image.py checks all this.
RUN /opt/sdmd/bin/pip install --no-deps --no-build-isolation /src \
 && /opt/sdmd/bin/pip uninstall -q -y pip setuptools \
 && cd /opt/sdmd/lib/python3.*/site-packages \
 && find . -name '*.so*' -type f -exec strip --strip-unneeded {} + \
 && rm -rf sqlalchemy/testing alembic/testing mako/testing apprise/i18n tests \
 && find . -depth -mindepth 2 -type d \( -name tests -o -name test \) -exec rm -rf {} + \
 && find . -type f \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.pyi' \) -delete \
 && /opt/sdmd/bin/python -m compileall -b -q -j 0 -x '/site-packages/(sdmd|anyio|apprise/(plugins|config|attachment))/' \
      "$PWD" \
 && find . \( -path ./sdmd -o -path ./anyio -o -path ./apprise/plugins -o -path ./apprise/config \
             -o -path ./apprise/attachment \) -prune \
      -o -name __pycache__ -type d -prune -exec rm -rf {} + -o -name '*.py' -type f -exec rm -f {} + \
 && /opt/sdmd/bin/sdmd --help >/dev/null \
 && /opt/sdmd/bin/python /src/check-image.py build
# The compose plugin, stripped of its debug information if it has any (the release binary has none). No
# docker CLI (28 MB): sdmd runs the plugin itself (sdmd/docker/compose.py), talks to the engine through
# its API (docker-py) for everything else, and runs `docker` only on remote hosts, over ssh.
COPY --from=docker-cli /usr/local/libexec/docker/cli-plugins/docker-compose /cli/docker-compose
RUN strip /cli/docker-compose && /cli/docker-compose version

# -- 3. the runtime -----------------------------------------------------------------------------------
FROM ${PYTHON_RUNTIME_IMAGE} AS runtime
# The sdmd user reaches /var/run/docker.sock through the group that owns it on the host. DOCKER_GID
# bakes that group id in; compose.yaml also adds it at run time (group_add), so a prebuilt image works
# on any host: set DOCKER_GID=$(stat -c %g /var/run/docker.sock) in .env.
ARG DOCKER_GID=999
ARG SDMD_UID=10001
# git: the stacks folder is a git repository; redis-server: `docker run` without compose still gets
# scheduled updates (sdmd starts a private one when SDMD_REDIS_URL is unset). deploy/slim-runtime.sh
# then removes, in the same layer, what they brought that sdmd never runs (perl, git's daemons, docs).
COPY deploy/slim-runtime.sh deploy/check-image.py /usr/local/lib/sdmd/
RUN missing=""; for p in git redis-server ca-certificates; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done; \
    if [ -n "$missing" ]; then \
      apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing \
      && sh /usr/local/lib/sdmd/slim-runtime.sh; \
    fi \
 && groupadd --system --gid "$SDMD_UID" sdmd \
 && useradd --system --uid "$SDMD_UID" --gid sdmd --home-dir /data --shell /usr/sbin/nologin sdmd \
 && (getent group "$DOCKER_GID" >/dev/null || groupadd --system --gid "$DOCKER_GID" docker-host) \
 && usermod -aG "$(getent group "$DOCKER_GID" | cut -d: -f1)" sdmd \
 && mkdir -p /data /stacks && chown sdmd:sdmd /data /stacks
COPY --from=build /cli/docker-compose /usr/local/libexec/docker/cli-plugins/docker-compose
COPY --from=build /opt/sdmd /opt/sdmd
ENV PATH=/opt/sdmd/bin:$PATH \
    PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    SDMD_DATA_DIR=/data SDMD_STACKS_DIR=/stacks \
    DOCKER_CONFIG=/data/.docker \
    COMPOSE_BAKE=false
USER sdmd
WORKDIR /data
# COMPOSE_BAKE=false: compose builds a service's image (`build:`) with its own builder; with bake on
# (the default of newer compose releases) it would hand the build to `docker buildx bake`, which needs
# the docker CLI this image does not have.
# The final image, as sdmd runs it: the virtualenv's bytecode on this base's Python, the standard
# library pruned by slim-runtime.sh, compose without the CLI, git without perl (deploy/check-image.py).
RUN python /usr/local/lib/sdmd/check-image.py runtime
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-m", "sdmd.health.selfcheck", "/healthz"]
CMD ["sdmd", "serve", "--host", "0.0.0.0", "--port", "8000"]
