"""create_app(): the web application — API, wall and newsletter archive — over one store."""
from __future__ import annotations

import logging

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from api import (
    alerts,
    analytics,
    audit,
    corrections,
    export,
    health,
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
               engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    config = config or load_config(settings.config)
    engine = engine or make_engine(settings.database_url)

    app = FastAPI(
        title="newsroom",
        description=f"Wat er online gezegd wordt over {config.watch.city}: berichten, sentiment, thema's en signalen.",
        version="0.1.0",
    )
    app.state.settings = settings
    app.state.config = config
    # The config file in force: the config API edits it, hand edits are picked up (api.middleware).
    app.state.config_file = ConfigFile(settings.config, config)
    app.state.engine = engine

    @app.exception_handler(Exception)
    async def _no_tracebacks(request: Request, exc: Exception):
        # Clients get a plain message; the traceback goes to the log only.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "Interne fout; zie het serverlogboek."}, status_code=500)

    for router in (health.router, posts.router, corrections.router, privacy.router, analytics.router, stream.router, wall.router,
                   newsletters.router, export.router, alerts.router, config_api.router, audit.router, metrics.router):
        app.include_router(router)
    middleware.install(app, settings)
    wall_page.mount(app, dependencies=[Depends(read_access)])
    return app
