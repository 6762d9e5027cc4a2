"""One alert with the posts behind it, and closing the loop: the KCC acknowledges and resolves.

The list of alerts is GET /api/alerts (api/analytics.py); delivery is the alerting room's job.
"""
from __future__ import annotations

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from core.store import audit
from core.store.alerts import AlertNotFound, BadTransition, get_alert, set_status

from .deps import Conn, EngineDep, Writer, read_access
from .models import AlertDetail
from .params import ID_MAX

router = APIRouter(prefix="/api/alerts", tags=["alerts"])


class StatusChange(BaseModel):
    note: str | None = Field(None, max_length=2000, description="bijv. 'pagina aangepast', 'reactie geplaatst'")


@router.get("/{alert_id}", dependencies=[Depends(read_access)], response_model=AlertDetail)
def alert_view(conn: Conn, alert_id: int = Path(ge=1, le=ID_MAX)):
    try:
        return get_alert(conn, alert_id)
    except AlertNotFound:
        raise HTTPException(404, "Signaal niet gevonden.") from None


def _change(engine: Engine, request: Request, alert_id: int, status: str, actor: str, note: str | None) -> dict:
    with engine.begin() as conn:
        try:
            alert, changed = set_status(conn, alert_id, status, actor=actor, note=note)
        except AlertNotFound:
            raise HTTPException(404, "Signaal niet gevonden.") from None
        except BadTransition as exc:
            raise HTTPException(409, str(exc)) from None
        if changed:
            client = request.client.host if request.client else None
            audit.record(conn, actor, f"alert.{status}", {"alert_id": alert_id, "note": note, "client": client})
    return alert


@router.post("/{alert_id}/acknowledge", response_model=AlertDetail)
def acknowledge(request: Request, engine: EngineDep, actor: Writer, alert_id: int = Path(ge=1, le=ID_MAX),
                change: StatusChange | None = Body(None)):
    """The KCC has seen it and is on it."""
    return _change(engine, request, alert_id, "acknowledged", actor, change.note if change else None)


@router.post("/{alert_id}/resolve", response_model=AlertDetail)
def resolve(request: Request, engine: EngineDep, actor: Writer, alert_id: int = Path(ge=1, le=ID_MAX),
            change: StatusChange | None = Body(None)):
    """Handled: the page is fixed or the question answered."""
    return _change(engine, request, alert_id, "resolved", actor, change.note if change else None)
