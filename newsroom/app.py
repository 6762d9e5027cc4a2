"""create_app(): the web application — API, wall, workspace and newsletter archive — over one store."""
from __future__ import annotations

import logging

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine

import workspace
from api import (
    alerts,
    analytics,
    audit,
    corrections,
    export,
    health,
    ingest,
    metrics,
    middleware,
    newsletters,
    posts,
    stream,
    wall,
)
from api import (
    config as config_api,
)
from api.deps import read_access
from core.config.file import ConfigFile
from core.config.settings import Settings, get_settings
from core.config.watch import WatchConfig, load_config
from core.store.db import make_engine
from dashboard import privacy
from dashboard import routes as wall_page

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, config: WatchConfig | None = None,
               engine: Engine | None = None, config_file: ConfigFile | None = None) -> FastAPI:
    settings = settings or get_settings()
    config = config or load_config(settings.config)
    engine = engine or make_engine(settings.database_url)

    # /docs and /redoc with Swagger UI and ReDoc served from the installed package, not a CDN: they work
    # on an offline network. validatorUrl off: Swagger UI would otherwise fetch a badge from swagger.io.
    app = FastAPIOffline(
        swagger_ui_parameters={"validatorUrl": None},
        title="newsroom",
        description=f"Wat er online gezegd wordt over {config.watch.city}: berichten, sentiment, thema's en signalen.",
        version="0.1.0",
    )
    app.state.settings = settings
    app.state.config = config
    # The config file in force: the config API edits it, hand edits are picked up (api.middleware).
    app.state.config_file = config_file or ConfigFile(settings.config, config)
    app.state.engine = engine

    @app.exception_handler(Exception)
    async def _no_tracebacks(request: Request, exc: Exception):
        # Clients get a plain message; the traceback goes to the log only.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "Interne fout; zie het serverlogboek."}, status_code=500)

    for router in (health.router, posts.router, corrections.router, privacy.router, analytics.router, stream.router, wall.router,
                   newsletters.router, export.router, alerts.router, config_api.router, audit.router, metrics.router,
                   ingest.router):
        app.include_router(router)
    middleware.install(app, settings)
    wall_page.mount(app, dependencies=[Depends(read_access)])
    # The staff workspace at / (its own accounts and sessions; the API keeps its tokens). Rooms import
    # only core, so the workspace's preview of the coming newsletter is the newsletter room's, given here.
    app.state.newsletter_preview = _newsletter_preview(app)
    workspace.mount(app)
    return app


def _newsletter_preview(app: FastAPI):
    def preview(conn, week: str) -> str:
        """The HTML of `week`'s edition as it would be sent now (built, not stored)."""
        from newsletter.archive import make

        return make(conn, app.state.config, week, app.state.settings.timezone).html

    return preview
