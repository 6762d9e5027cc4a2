"""Beheer: sources and themes (through the same code as /api/config: core.config.file validates the
whole configuration and writes it atomically, or writes nothing), accounts, the audit log, data-subject
requests (the same core.ingest.subjects find/erase as `newsroom privacy`); and the advisers' edits to
the coming newsletter."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse

from core.config.file import ConfigNotWritable, entry, put_entry
from core.config.watch import SOURCE_KINDS, ConfigError, parse_duration
from core.ingest import subjects
from core.ingest.privacy import Pseudonymiser
from core.store import accounts, audit
from core.store import workspace as store
from core.store.schema import utcnow
from core.store.scores import scoring_health
from core.store.sources import source_health, sync_sources
from core.vocabulary import ROLE_NAMES, ROLES

from .auth import Adviseur, Beheer, client
from .overview import overview_figures
from .web import render

router = APIRouter(tags=["werkruimte"], include_in_schema=False)

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
KINDS = SOURCE_KINDS
Text = Annotated[str, Form(max_length=2000)]


def _sources_page(request: Request, *, errors: dict[str, str] | None = None, values: dict[str, dict] | None = None,
                  status_code: int = 200):
    config = request.app.state.config_file.current()
    with request.app.state.engine.connect() as conn:
        health = {s["name"]: s for s in source_health(conn)}
        scoring = scoring_health(conn)
    return render(request, "sources.html", {
        "title": "Bronnen", "sources": config.sources, "themes": config.themes, "health": health, "kinds": KINDS,
        "scoring": scoring,
        "errors": errors or {}, "values": values or {}, "message": request.query_params.get("melding"),
    }, status_code=status_code)


@router.get("/bronnen")
def sources_view(request: Request, account: Beheer):
    return _sources_page(request)


def _save(request: Request, account: dict, section: str, name: str, values: dict[str, Any]) -> str | None:
    """Write one entry through core.config.file; the Dutch error, or None when saved."""
    file = request.app.state.config_file
    before = entry(file.current(), section, name)
    try:
        config = file.change(put_entry(section, name, values))
    except ConfigError as exc:
        return f"Niet opgeslagen; de configuratie zou ongeldig worden: {exc}"
    except ConfigNotWritable as exc:
        return f"Niet opgeslagen; het configuratiebestand kan niet worden aangepast: {exc}"
    request.app.state.config = config
    with request.app.state.engine.begin() as conn:
        if section == "sources":
            sync_sources(conn, config)
        audit.record(conn, account["name"], f"config.{section[:-1]}.put",
                     {"name": name, "before": before, "after": entry(config, section, name), "client": client(request)})
    return None


@router.post("/bronnen/bron")
def source_save(request: Request, account: Beheer, naam: Annotated[str, Form(max_length=100)] = "",
                soort: Annotated[str, Form(max_length=20)] = "", url: Text = "",
                interval: Annotated[str, Form(max_length=20)] = "15m", lokaal: Annotated[str, Form()] = "",
                ingeschakeld: Annotated[str, Form()] = ""):
    form = {"naam": naam.strip(), "soort": soort, "url": url.strip(), "interval": interval.strip(),
            "lokaal": lokaal, "ingeschakeld": ingeschakeld}
    errors: dict[str, str] = {}
    if not NAME.match(form["naam"]):
        errors["naam"] = "Gebruik kleine letters, cijfers, - en _, beginnend met een letter of cijfer."
    if soort not in KINDS:
        errors["soort"] = "Kies een soort bron."
    if not re.match(r"^https?://[^\s/]+", form["url"]):
        errors["url"] = "Geef een volledig webadres, beginnend met http:// of https://."
    try:
        parse_duration(form["interval"])
    except ValueError:
        errors["interval"] = "Geef een interval als 30s, 10m, 2h of 1d."
    if not errors:
        current = entry(request.app.state.config_file.current(), "sources", form["naam"]) or {}
        # A change through the form keeps the options the form does not show (hashtags, selectors…).
        kept = {k: v for k, v in current.items() if v is not None and k not in ("name", "kind", "url", "every", "local", "enabled")}
        problem = _save(request, account, "sources", form["naam"], {
            **kept, "kind": soort, "url": form["url"], "every": form["interval"], "local": bool(lokaal),
            "enabled": bool(ingeschakeld)})
        if problem is None:
            return RedirectResponse("/bronnen?melding=" + f"Bron {form['naam']} opgeslagen.", status_code=303)
        errors["bron"] = problem
    return _sources_page(request, errors=errors, values={"bron": form}, status_code=422)


@router.post("/bronnen/thema")
def theme_save(request: Request, account: Beheer, naam: Annotated[str, Form(max_length=100)] = "",
               titel: Annotated[str, Form(max_length=100)] = "", termen: Text = "", pagina: Text = ""):
    form = {"naam": naam.strip(), "titel": titel.strip(), "termen": termen, "pagina": pagina.strip()}
    terms = [t.strip() for t in re.split(r"[,\n]", termen) if t.strip()]
    errors: dict[str, str] = {}
    if not NAME.match(form["naam"]):
        errors["naam"] = "Gebruik kleine letters, cijfers, - en _, beginnend met een letter of cijfer."
    if not terms:
        errors["termen"] = "Geef minstens één zoekterm (gescheiden door komma's)."
    if form["pagina"] and not re.match(r"^https?://[^\s/]+", form["pagina"]):
        errors["pagina"] = "Geef een volledig webadres, beginnend met http:// of https://, of laat het leeg."
    if not errors:
        problem = _save(request, account, "themes", form["naam"],
                        {"terms": terms, "page": form["pagina"], "label": form["titel"]})
        if problem is None:
            return RedirectResponse("/bronnen?melding=" + f"Thema {form['naam']} opgeslagen.", status_code=303)
        errors["thema"] = problem
    return _sources_page(request, errors={f"thema_{k}": v for k, v in errors.items()}, values={"thema": form},
                         status_code=422)


# -- accounts -----------------------------------------------------------------------------------------

def _accounts_page(request: Request, *, error: str | None = None, status_code: int = 200):
    with request.app.state.engine.connect() as conn:
        items = accounts.list_accounts(conn)
    return render(request, "accounts.html", {
        "title": "Accounts", "accounts": items, "roles": ROLES, "role_names": ROLE_NAMES, "error": error,
        "message": request.query_params.get("melding"),
    }, status_code=status_code)


@router.get("/beheer/accounts")
def accounts_view(request: Request, account: Beheer):
    return _accounts_page(request)


@router.post("/beheer/accounts")
def account_create(request: Request, account: Beheer, naam: Annotated[str, Form(max_length=100)] = "",
                   rol: Annotated[str, Form(max_length=20)] = "", wachtwoord: Annotated[str, Form(max_length=1000)] = ""):
    try:
        with request.app.state.engine.begin() as conn:
            created = accounts.create_account(conn, naam, rol, wachtwoord)
            audit.record(conn, account["name"], "account.create", {"name": created["name"], "role": rol})
    except accounts.AccountError as exc:
        return _accounts_page(request, error=str(exc), status_code=422)
    return RedirectResponse(f"/beheer/accounts?melding=Account {created['name']} aangemaakt.", status_code=303)


@router.post("/beheer/accounts/{naam}")
def account_change(request: Request, account: Beheer, naam: str = Path(max_length=100),
                   actie: Annotated[str, Form(max_length=20)] = "", rol: Annotated[str, Form(max_length=20)] = "",
                   wachtwoord: Annotated[str, Form(max_length=1000)] = ""):
    if naam == account["name"] and actie in ("uitschakelen", "rol") and (actie == "uitschakelen" or rol != "beheer"):
        return _accounts_page(request, error="U kunt uw eigen account niet uitschakelen of uw eigen beheerrol afnemen.",
                              status_code=422)
    try:
        with request.app.state.engine.begin() as conn:
            if actie == "rol":
                accounts.set_role(conn, naam, rol)
            elif actie in ("uitschakelen", "inschakelen"):
                accounts.set_enabled(conn, naam, actie == "inschakelen")
            elif actie == "wachtwoord":
                accounts.set_password(conn, naam, wachtwoord)
            else:
                raise accounts.AccountError("Onbekende actie.")
            audit.record(conn, account["name"], f"account.{actie}", {"name": naam, "role": rol or None})
    except accounts.AccountError as exc:
        return _accounts_page(request, error=str(exc), status_code=422)
    return RedirectResponse(f"/beheer/accounts?melding=Account {naam} bijgewerkt.", status_code=303)


@router.get("/beheer/audit")
def audit_view(request: Request, account: Beheer, voor: int | None = None):
    with request.app.state.engine.connect() as conn:
        log = audit.entries(conn, limit=100, before=voor)
    return render(request, "audit.html", {"title": "Auditlog", "log": log})


# -- data-subject requests (AVG art. 15 and 17) ---------------------------------------------------------
# The handle travels only in POST bodies, never in a URL (which web servers and proxies log); the audit
# log holds the pseudonym and the counts (core.ingest.subjects), with the account's name.

Handle = Annotated[str, Form(max_length=200)]


def _privacy_page(request: Request, *, handle: str = "", report: dict | None = None, error: str | None = None,
                  status_code: int = 200):
    return render(request, "privacy.html", {
        "title": "Privacyverzoeken", "handle": handle, "report": report, "error": error,
        "message": request.query_params.get("melding")}, status_code=status_code)


def _pseudonymiser(request: Request) -> Pseudonymiser:
    app = request.app.state
    return Pseudonymiser(app.settings.pseudonym_key, app.config_file.current().privacy.public_names)


@router.get("/beheer/privacy")
def privacy_view(request: Request, account: Beheer):
    return _privacy_page(request)


@router.post("/beheer/privacy/inzage")
def privacy_find(request: Request, account: Beheer, naam: Handle = ""):
    handle = naam.strip()
    if not handle:
        return _privacy_page(request, error="Geef de gebruikersnaam of de schuilnaam (inwoner-…).", status_code=422)
    with request.app.state.engine.begin() as conn:
        report = subjects.find(conn, _pseudonymiser(request), handle, actor=account["name"])
    return _privacy_page(request, handle=handle, report=report)


@router.post("/beheer/privacy/wissen")
def privacy_erase(request: Request, account: Beheer, naam: Handle = "", bevestiging: Handle = ""):
    handle = naam.strip()
    if not handle or bevestiging.strip() != handle:
        # Nothing is erased without the name typed again: a slip of the mouse must not wipe someone.
        return _privacy_page(request, handle=handle, status_code=422, error=(
            "Niets gewist: de bevestiging kwam niet overeen met de gebruikersnaam. Zoek opnieuw en typ de "
            "gebruikersnaam ter bevestiging precies zo over."))
    with request.app.state.engine.begin() as conn:
        done = subjects.erase(conn, _pseudonymiser(request), handle, actor=account["name"])
    _wall_changed(request)
    return RedirectResponse("/beheer/privacy?" + urlencode({"melding": (
        f"Gewist ({done['pseudonym']}): {done['posts']} bericht(en) verwijderd, {done['mentions']} vermelding(en) "
        f"vervangen door @…, {done['stories']} verhaal/verhalen bijgewerkt, {done['newsletters']} "
        f"nieuwsbrief/-brieven leeggemaakt.")}), status_code=303)


def _wall_changed(request: Request) -> None:
    """The wall and the Overzicht of this process look at the store again now: erased posts leave them at once."""
    states = getattr(request.app.state, "wall_states", None)
    if states is not None:
        states.expire()
    overview_figures(request.app.state).expire()


# -- the coming newsletter -----------------------------------------------------------------------------

def coming_week(tz: str, now: datetime | None = None) -> str:
    """The edition the next weekly send will carry: the current (local) ISO week."""
    year, week, _ = (now or utcnow()).astimezone(ZoneInfo(tz)).isocalendar()
    return f"{year}-W{week:02d}"


def _newsletter_page(request: Request, *, error: str | None = None, status_code: int = 200):
    app = request.app.state
    week = coming_week(app.settings.timezone)
    with app.engine.connect() as conn:
        edit = store.newsletter_edit(conn, week)
        # newsroom.app gives the newsletter room's builder (rooms import only core).
        preview = app.newsletter_preview(conn, week) if getattr(app, "newsletter_preview", None) else None
    return render(request, "newsletter.html", {
        "title": "Nieuwsbrief", "week": week, "edit": edit, "preview": preview, "error": error,
        "message": request.query_params.get("melding")}, status_code=status_code)


@router.get("/nieuwsbrief")
def newsletter_view(request: Request, account: Adviseur):
    return _newsletter_page(request)


@router.post("/nieuwsbrief")
def newsletter_save(request: Request, account: Adviseur, intro: Text = "",
                    uitgesloten: Annotated[str, Form(max_length=2000)] = "",
                    vastgezet: Annotated[str, Form(max_length=2000)] = ""):
    def ids(value: str) -> list[int] | None:
        parts = [p for p in re.split(r"[\s,]+", value) if p]
        if not all(p.isdigit() and 0 < int(p) < 2**31 for p in parts):
            return None
        return [int(p) for p in parts]

    excluded, pinned = ids(uitgesloten), ids(vastgezet)
    week = coming_week(request.app.state.settings.timezone)
    if excluded is None or pinned is None:
        return _newsletter_page(request, error="Berichtnummers zijn hele getallen, gescheiden door komma's of spaties.",
                                status_code=422)
    with request.app.state.engine.begin() as conn:
        store.save_newsletter_edit(conn, week, by=account["name"], intro=intro, excluded=excluded, pinned=pinned)
        audit.record(conn, account["name"], "newsletter.edit", {"week": week, "excluded": excluded, "pinned": pinned})
    return RedirectResponse("/nieuwsbrief?melding=Opgeslagen.", status_code=303)
