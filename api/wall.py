"""The wall for machines: its state as JSON, flat feeds for signage players, and the crisis switch."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from core.analytics.wall import clear_crisis, dataset, get_crisis, set_crisis
from core.store import audit

from .deps import Config, EngineDep, Writer, read_access
from .models import Crisis, Figures
from .stream import WallStates, wall_states

States = Annotated[WallStates, Depends(wall_states)]

router = APIRouter(prefix="/api/wall", tags=["wall"])


@router.get("", dependencies=[Depends(read_access)], summary="De staat van de wall (alle panelen)",
            response_model=Figures)
async def wall(states: States):
    return await states.current()


@router.get("/dataset/{feed}", dependencies=[Depends(read_access)],
            summary="Eén paneel als platte JSON-lijst, voor narrowcasting (Xibo Remote DataSet)",
            response_model=list[dict[str, Any]])
async def wall_dataset(feed: Literal["mood", "posts", "themes", "channels", "alerts"], states: States):
    """A flat JSON array of flat objects: `mood` (one row), `posts` (the ticker), `themes`, `channels`,
    `alerts` (open alerts). Signage players that cannot send headers pass `?token=` (the read token)."""
    return dataset(await states.current(), feed)


class CrisisSwitch(BaseModel):
    active: bool = Field(True, description="false: terug naar de gewone wall")
    theme: str | None = Field(None, max_length=100, description="het thema van de crisis (naam uit de configuratie)")
    message: str = Field("", max_length=300, description="korte toelichting voor het webcareteam")


@router.post("/crisis", summary="Zet de wall in crisisweergave voor een thema, of weer uit (webhook)",
             response_model=Crisis)
def wall_crisis(switch: CrisisSwitch, engine: EngineDep, config: Config, states: States, actor: Writer):
    """`{"theme": "afval", "message": "Storing afvalinzameling"}` switches the wall to the theme's crisis
    view within seconds; `{"active": false}` switches it back."""
    names = [theme.name for theme in config.themes]
    if switch.active and switch.theme not in names:
        raise HTTPException(422, f"Onbekend thema {switch.theme!r}; bekend zijn: {', '.join(names)}.")
    with engine.begin() as conn:
        if switch.active:
            crisis = set_crisis(conn, switch.theme, switch.message.strip(), by=actor)
            action, detail = "wall_crisis_on", {"theme": switch.theme, "message": crisis["message"]}
        else:
            previous = get_crisis(conn)
            clear_crisis(conn)
            crisis, action, detail = None, "wall_crisis_off", {"theme": previous["theme"] if previous else None}
        audit.record(conn, actor, action, detail)
    states.expire()
    return {"crisis": crisis}
