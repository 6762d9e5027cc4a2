"""Label corrections: the webcare team tells the model what a post really is.

Corrections are kept (every one, with who and why), listed, exported as CSV, and used by
`newsroom model train`. A correction becomes the label every output shows (scores.label); the
model's own label stays stored beside it (scores.model_label), and rescoring keeps the correction.
"""
from __future__ import annotations

import csv
import io
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from core.store import audit
from core.store import scores as store
from core.vocabulary import Label

from .deps import EngineDep, Writer, read_access
from .models import CorrectionRecord, Items
from .params import ID_MAX

router = APIRouter(prefix="/api", tags=["corrections"])

CSV_COLUMNS = ["id", "post_id", "label", "previous_label", "model_label", "by", "note", "created_at", "url", "title", "text"]


def _cell(value):
    """Post text opened in a spreadsheet must not run as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class Correction(BaseModel):
    label: Label
    by: str = Field("webcare", min_length=1, max_length=100, description="wie corrigeert (naam of team)")
    note: str | None = Field(None, max_length=2000)


@router.post("/posts/{post_id}/label", status_code=201, response_model=CorrectionRecord)
def correct_label(correction: Correction, engine: EngineDep, actor: Writer, post_id: int = Path(ge=1, le=ID_MAX)):
    with engine.begin() as conn:
        try:
            row = store.add_correction(conn, post_id, correction.label, by=correction.by, note=correction.note)
        except LookupError:
            raise HTTPException(404, "Bericht niet gevonden.") from None
        audit.record(conn, actor, "label_correction",
                     {"post_id": post_id, "label": row["label"], "previous_label": row["previous_label"], "by": row["by"]})
    return row


@router.get("/corrections", dependencies=[Depends(read_access)], response_model=Items[CorrectionRecord],
            responses={200: {"content": {"text/csv": {}}, "description": "JSON, of bij format=csv een download"}})
def corrections(
    engine: EngineDep,
    format: Literal["json", "csv"] = Query("json", description="csv: alle correcties als download"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=ID_MAX),
):
    with engine.connect() as conn:
        rows = store.list_corrections(conn, limit=None if format == "csv" else limit, offset=0 if format == "csv" else offset)
    if format == "json":
        return {"items": rows}
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in {**row, "created_at": row["created_at"].isoformat()}.items()})
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="correcties.csv"'})
