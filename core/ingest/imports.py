"""Posts from other tools: JSON lines (the API, `newsroom import`) and CSV exports with a column mapping.

Every line is checked against one documented shape (`ImportedPost`) and stored through the same ingest
policy as a crawl (core.ingest.policy: watch filter, pseudonymisation, themes, stories); the scheduled
scorer scores the new posts. A bad line is reported with its line number, field and a Dutch reason and
never stops the good ones. Storing is idempotent: a post's source keeps one copy per external id.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import re
import tomllib
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import Engine

from core.config.settings import PROJECT_ROOT, Settings
from core.config.watch import WatchConfig
from core.ingest.policy import Ingest
from core.store import audit
from core.store.posts import check_post, post_exists
from core.store.sources import get_source, sync_sources
from core.vocabulary import Channel

log = logging.getLogger(__name__)

MAPPINGS = PROJECT_ROOT / "config" / "import"
MAX_LISTED_ERRORS = 500
# Posts stored per transaction: a file or request of thousands of lines in a few dozen transactions.
IMPORT_BATCH = 500


class ImportedEngagement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    likes: int | None = Field(default=None, ge=0)
    reposts: int | None = Field(default=None, ge=0)
    replies: int | None = Field(default=None, ge=0)
    reach: int | None = Field(default=None, ge=0, description="followers of the author (author_reach)")


class ImportedPost(BaseModel):
    """One post from another tool, as one JSON line (README: "Importing posts")."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    source: str = Field(min_length=1, description="a source configured in the watch config")
    external_id: str = Field(min_length=1, max_length=512, description="the post's id at its source")
    url: str | None = Field(default=None, max_length=4096)
    text: str = Field(default="", max_length=100_000)
    title: str | None = Field(default=None, max_length=2000)
    author: str | None = Field(default=None, max_length=500)
    published_at: AwareDatetime = Field(description="ISO 8601 with a time zone")
    channel: Channel | None = Field(default=None, description="optional; must be the source's channel")
    engagement: ImportedEngagement = ImportedEngagement()
    parent_external_id: str | None = Field(default=None, max_length=512, description="the post this one replies to")

    @field_validator("url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value and not re.match(r"^https?://", value):
            raise ValueError("moet beginnen met http:// of https://")
        return value or None

    @model_validator(mode="after")
    def _has_content(self) -> ImportedPost:
        if not self.text and not self.title:
            raise ValueError("tekst en titel zijn allebei leeg")
        return self

    def item(self) -> dict[str, Any]:
        """The post as a crawler's item, for core.ingest.policy."""
        return {
            "external_id": self.external_id, "url": self.url, "title": self.title, "text": self.text,
            "author": self.author, "published_at": self.published_at, "likes": self.engagement.likes,
            "reposts": self.engagement.reposts, "replies": self.engagement.replies,
            "author_reach": self.engagement.reach, "parent_external_id": self.parent_external_id,
        }


class LineError(BaseModel):
    line: int = Field(description="line number in the input, from 1 (CSV: the header is line 1)")
    field: str | None = Field(description="the field at fault; null: the line as a whole")
    reason: str = Field(description="in Dutch")


class ImportResult(BaseModel):
    lines: int = Field(default=0, description="lines read (blank lines not counted)")
    new: int = 0
    duplicates: int = Field(default=0, description="already stored (same source and external id, content or URL)")
    not_relevant: int = Field(default=0, description="skipped: a non-local source's post not about the city")
    error_count: int = 0
    errors: list[LineError] = Field(default=[], description=f"the first {MAX_LISTED_ERRORS} bad lines")


class ImportFileError(ValueError):
    """The input as a whole cannot be read (an unknown column, a broken mapping file); the message is Dutch."""


_REASONS = {
    "missing": "ontbreekt",
    "string_type": "moet tekst zijn",
    "string_too_short": "is leeg",
    "string_too_long": "is te lang (maximaal {max_length} tekens)",
    "int_type": "moet een geheel getal zijn",
    "int_parsing": "moet een geheel getal zijn",
    "int_from_float": "moet een geheel getal zijn",
    "greater_than_equal": "mag niet negatief zijn",
    "timezone_aware": "mist een tijdzone (bijvoorbeeld 2026-11-20T08:00:00+01:00)",
    "literal_error": "moet een van deze zijn: {expected}",
    "extra_forbidden": "is geen bekend veld",
    "model_type": "moet een object zijn",
    "model_attributes_type": "moet een object zijn",
}


def _reason(error: dict) -> str:
    kind = error["type"]
    if kind.startswith(("datetime", "date_")):
        return "is geen geldige datum en tijd (ISO 8601, bijvoorbeeld 2026-11-20T08:00:00+01:00)"
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    template = _REASONS.get(kind)
    if template is None:
        return f"ongeldige waarde ({error['msg']})"
    return template.format(**error.get("ctx", {}))


def validate_line(line: int, data: Any) -> ImportedPost | list[LineError]:
    """One line checked against the shape: the post, or every fault found in it."""
    if not isinstance(data, dict):
        return [LineError(line=line, field=None, reason="moet een JSON-object zijn")]
    try:
        return ImportedPost.model_validate(data)
    except ValidationError as exc:
        return [LineError(line=line, field=".".join(str(p) for p in e["loc"]) or None, reason=_reason(dict(e)))
                for e in exc.errors()]


def json_lines(text: str, *, source: str | None = None) -> Iterator[tuple[int, Any]]:
    """(line number, object) per non-blank line; a line that is not JSON comes as a LineError.
    `source` fills in the source of lines that name none."""
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield number, LineError(line=number, field=None, reason=f"geen geldige JSON ({exc.msg}, teken {exc.colno})")
            continue
        if source and isinstance(data, dict) and not data.get("source"):
            data["source"] = source
        yield number, data


# --- CSV with a column mapping (config/import/*.toml) ---

FIELDS = ("source", "external_id", "url", "text", "title", "author", "published_at", "channel",
          "likes", "reposts", "replies", "reach", "parent_external_id")
ENGAGEMENT_FIELDS = ("likes", "reposts", "replies", "reach")


class CsvOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delimiter: str = Field(default="", max_length=1, description="empty: the first of , ; tab in the header line")
    encoding: str = "utf-8-sig"
    date_format: str = Field(default="", description="strptime format; empty: ISO 8601")
    timezone: str = Field(default="", description="for times without a zone; empty: NEWSROOM_TIMEZONE")


class Mapping(BaseModel):
    """A column mapping file: which CSV column(s) hold each field of ImportedPost."""

    model_config = ConfigDict(extra="forbid")

    csv: CsvOptions = CsvOptions()
    columns: dict[str, str | list[str]]
    sources: dict[str, str] = Field(default={}, description="a value of the source column -> a configured source")

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, value: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        unknown = sorted(set(value) - set(FIELDS))
        if unknown:
            raise ValueError(f"onbekende velden {unknown}; mogelijk: {', '.join(FIELDS)}")
        return value


def load_mapping(name_or_path: str | Path) -> Mapping:
    """A mapping file by path, or by the name of one shipped in config/import ("coosto", "generic")."""
    path = Path(name_or_path)
    if not path.exists() and (MAPPINGS / f"{name_or_path}.toml").exists():
        path = MAPPINGS / f"{name_or_path}.toml"
    try:
        return Mapping.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        shipped = ", ".join(sorted(p.stem for p in MAPPINGS.glob("*.toml")))
        raise ImportFileError(f"Koppelingsbestand {str(name_or_path)!r} niet gevonden (meegeleverd: {shipped}).") from None
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ImportFileError(f"Koppelingsbestand {path} is ongeldig: {exc}") from None


_THOUSANDS = re.compile(r"^\d{1,3}([.,\s]\d{3})+$")


def _number(value: str) -> str:
    """Exports write 1.234 or 1 234 for a thousand and more; the shape wants 1234."""
    return re.sub(r"[.,\s]", "", value) if _THOUSANDS.match(value) else value


def csv_rows(text: str, mapping: Mapping, *, source: str | None = None,
             timezone: str = "Europe/Amsterdam") -> Iterator[tuple[int, Any]]:
    """(line number of the record's first line, object in the ImportedPost shape) per CSV record."""
    delimiter = mapping.csv.delimiter
    if not delimiter:
        first = text.split("\n", 1)[0]
        delimiter = max(",;\t", key=first.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = {(name or "").strip().lower(): name for name in reader.fieldnames or ()}
    columns: dict[str, list[str]] = {}
    for field, wanted in mapping.columns.items():
        names = [wanted] if isinstance(wanted, str) else wanted
        columns[field] = [header[n.strip().lower()] for n in names if n.strip().lower() in header]
    required = ["external_id", "published_at"] + ([] if source else ["source"])
    for field in required:
        if not columns.get(field):
            raise ImportFileError(f"Het bestand heeft geen kolom voor {field!r} (koppeling: {mapping.columns.get(field)!r}; "
                                  f"kolommen in het bestand: {', '.join(reader.fieldnames or ()) or 'geen'}).")
    if not columns.get("text") and not columns.get("title"):
        raise ImportFileError("Het bestand heeft geen kolom voor 'text' of 'title'.")
    try:
        zone = ZoneInfo(mapping.csv.timezone or timezone)
    except (ValueError, ZoneInfoNotFoundError):
        raise ImportFileError(f"Onbekende tijdzone {mapping.csv.timezone or timezone!r} (bijvoorbeeld Europe/Amsterdam).") from None
    line = reader.line_num + 1
    for row in reader:
        start, line = line, reader.line_num + 1
        values: dict[str, Any] = {}
        for field, names in columns.items():
            value = next((row[n].strip() for n in names if (row.get(n) or "").strip()), "")
            if value:
                values[field] = value
        if not values:
            continue
        if source:
            values["source"] = source
        elif "source" in values:
            values["source"] = mapping.sources.get(values["source"], mapping.sources.get(values["source"].lower(), values["source"]))
        if "published_at" in values:
            try:
                when = (datetime.strptime(values["published_at"], mapping.csv.date_format) if mapping.csv.date_format
                        else datetime.fromisoformat(values["published_at"]))
            except ValueError:
                pass  # left as text: the shape's check reports it with the line number
            else:
                values["published_at"] = when if when.tzinfo else when.replace(tzinfo=zone)
        engagement = {f: _number(values.pop(f)) for f in ENGAGEMENT_FIELDS if f in values}
        if engagement:
            values["engagement"] = engagement
        yield start, values


def read_file(path: Path, *, mapping: str | Path | None = None, source: str | None = None,
              timezone: str = "Europe/Amsterdam") -> Iterator[tuple[int, Any]]:
    """A CSV file (by its .csv/.tsv name or a given mapping) or JSON lines, as (line, object) pairs."""
    is_csv = mapping is not None or path.suffix.lower() in (".csv", ".tsv")
    chosen = load_mapping(mapping or "generic") if is_csv else None
    encoding = chosen.csv.encoding if chosen else "utf-8-sig"
    try:
        text = path.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"{path} is geen geldige {encoding}-tekst (byte {exc.start}); "
                              "stel de codering in het koppelingsbestand in ([csv] encoding).") from None
    if chosen:
        return csv_rows(text, chosen, source=source, timezone=timezone)
    return json_lines(text, source=source)


def import_posts(engine: Engine, config: WatchConfig, settings: Settings, rows: Iterable[tuple[int, Any]],
                 *, actor: str, via: str) -> ImportResult:
    """Validate each row and store the valid ones IMPORT_BATCH at a time, each batch in one transaction
    (a batch that fails is stored post by post, so a store error loses its own line only); audit the
    import as a whole."""
    ingest = Ingest(config, settings)
    configured = {s.name for s in config.sources}
    known: dict[str, Any] = {}
    result = ImportResult()
    per_source: dict[str, int] = {}
    held: list[tuple[int, str, Any, dict[str, Any]]] = []  # (line, source name, source row, item)
    kept: set[tuple[int, str]] = set()  # (source id, stored id) of the held posts: parents of later replies

    def fail(*errors: LineError) -> None:
        result.error_count += len(errors)
        room = MAX_LISTED_ERRORS - len(result.errors)
        result.errors.extend(errors[:max(room, 0)])

    def count(name: str, outcome: str) -> None:
        if outcome == "new":
            result.new += 1
            per_source[name] = per_source.get(name, 0) + 1
        else:
            result.duplicates += 1

    def flush() -> None:
        batch = held[:]
        held.clear()
        kept.clear()
        if not batch:
            return
        try:
            with engine.begin() as conn:
                saved = ingest.store_prepared(conn, [(row, item) for _, _, row, item in batch])
        except Exception:  # stored one by one below, where a failing line is reported
            log.warning("import: a batch of %d posts could not be stored; storing them one by one", len(batch),
                        exc_info=True)
        else:
            for (_, name, _, _), (outcome, _) in zip(batch, saved):
                count(name, outcome)
            return
        for line, name, row, item in batch:
            try:
                with engine.begin() as conn:
                    outcome, _ = ingest.store_prepared(conn, [(row, item)])[0]
            except Exception as exc:  # a store error loses this line only
                log.exception("import: line %d could not be stored", line)
                fail(LineError(line=line, field=None, reason=f"opslaan mislukt: {type(exc).__name__}"))
                continue
            count(name, outcome)

    for line, data in rows:
        result.lines += 1
        if isinstance(data, LineError):
            fail(data)
            continue
        post = validate_line(line, data)
        if isinstance(post, list):
            fail(*post)
            continue
        if post.source not in configured:
            fail(LineError(line=line, field="source", reason=f"onbekende bron {post.source!r}: voeg haar toe aan de "
                           f"configuratie (ingesteld: {', '.join(sorted(configured)) or 'geen'})"))
            continue
        try:
            row = known.get(post.source)
            if row is None:
                with engine.begin() as conn:
                    try:
                        row = get_source(conn, post.source)
                    except KeyError:  # configured since the store last synced its sources
                        sync_sources(conn, config)
                        row = get_source(conn, post.source)
                known[post.source] = row
            if post.channel and post.channel != row.channel:
                fail(LineError(line=line, field="channel", reason=f"bron {post.source!r} is kanaal {row.channel!r}, "
                               f"niet {post.channel!r}"))
                continue
            item = post.item()
            # As in a crawl: a reply in a conversation that was kept is kept too (held or stored).
            if not ingest.relevant(row, item) and not (post.parent_external_id and _parent_kept(
                    engine, ingest, row, post.parent_external_id, kept)):
                result.not_relevant += 1
                continue
            item = ingest.prepare(row, item)
            check_post(item)
        except Exception as exc:  # a store error loses this line only
            log.exception("import: line %d could not be stored", line)
            fail(LineError(line=line, field=None, reason=f"opslaan mislukt: {type(exc).__name__}"))
            continue
        held.append((line, post.source, row, item))
        kept.add((row.id, item["external_id"]))
        if len(held) >= IMPORT_BATCH:
            flush()
    flush()
    with engine.begin() as conn:
        audit.record(conn, actor, "import", {
            "via": via, "lines": result.lines, "new": result.new, "duplicates": result.duplicates,
            "not_relevant": result.not_relevant, "errors": result.error_count, "new_per_source": per_source})
    return result


def _parent_kept(engine: Engine, ingest: Ingest, row, parent: str, held: set[tuple[int, str]]) -> bool:
    stored_id = ingest.pseudonymiser.stored_id(parent)
    if (row.id, stored_id) in held:
        return True
    with engine.connect() as conn:
        return post_exists(conn, row.id, stored_id)
