"""The watch configuration file as the one truth that the API changes and the scheduler follows.

The API changes sources and themes by editing the TOML file (comments and layout kept, tomlkit),
validating the whole result with core.config and replacing the file atomically; a bad change is
refused and the file stays as it was. Every process holding a ConfigFile sees the new config at its
next `current()`/`reload()`, the scheduler through its reload job (newsroom.jobs), so changes, by the
API or by hand, take effect without a restart. A hand edit that doesn't validate is logged and the
last good config stays in use.
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
import tomllib
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT

from core.config.watch import ConfigError, WatchConfig, load_config, parse_config

log = logging.getLogger(__name__)


class ConfigNotWritable(Exception):
    pass


def _stamp(path: Path) -> tuple | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    # os.replace gives a new inode, so a change is seen even within the clock's resolution.
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


class ConfigFile:
    def __init__(self, path: str | Path, config: WatchConfig | None = None, *, check_every: float = 1.0):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._check_every = check_every
        self._checked = time.monotonic()
        if config is None:
            config = load_config(self.path)
        self._config = config
        self._stamp = _stamp(self.path)

    @property
    def config(self) -> WatchConfig:
        return self._config

    def reload(self) -> bool:
        """Load the file again if it changed since it was last read; True when the config changed."""
        self._checked = time.monotonic()
        stamp = _stamp(self.path)
        if stamp is None or stamp == self._stamp:
            return False
        with self._lock:
            if stamp == self._stamp:
                return False
            self._stamp = stamp
            try:
                config = load_config(self.path)
            except ConfigError as exc:
                log.error("watch configuration changed but is not valid; keeping the last good one:\n%s", exc)
                return False
            changed = config != self._config
            self._config = config
            return changed

    def current(self) -> WatchConfig:
        """The config, reloaded first when the file changed (looked at most once per `check_every`)."""
        if time.monotonic() - self._checked >= self._check_every:
            self.reload()
        return self._config

    def change(self, edit: Callable[[tomlkit.TOMLDocument], None]) -> WatchConfig:
        """Apply `edit` to the file's TOML document, validate, write atomically; returns the new config.

        Raises ConfigError (the result would be invalid; nothing written) or ConfigNotWritable."""
        with self._lock, self._file_lock():
            try:
                document = tomlkit.parse(self.path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise ConfigNotWritable(f"{self.path}: cannot read the watch configuration: {exc.strerror or exc}") from None
            except TOMLKitError as exc:
                raise ConfigError(f"{self.path}: not valid TOML: {exc}") from None
            edit(document)
            text = tomlkit.dumps(document)
            try:
                config = parse_config(tomllib.loads(text), str(self.path))
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{self.path}: the change would not be valid TOML: {exc}") from None
            self._write(text)
            self._config = config
            self._stamp = _stamp(self.path)
            return config

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        """Serialise writers across processes (the API of another worker, a CLI)."""
        lock_path = self.path.with_name(f".{self.path.name}.lock")
        try:
            handle = open(lock_path, "a")
        except OSError as exc:
            raise ConfigNotWritable(f"{self.path.parent}: cannot write beside the configuration: {exc.strerror or exc}") from None
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _write(self, text: str) -> None:
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            mode = self.path.stat().st_mode & 0o777
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, mode)
            os.replace(temporary, self.path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise ConfigNotWritable(f"{self.path}: cannot write the watch configuration: {exc.strerror or exc}") from None


# --- editing [[sources]] and [[themes]] entries ------------------------------------------------------

def _toml_value(value, where: str):
    if value is None:
        raise ConfigError(f"{where}: TOML has no null; leave the field out instead")
    if isinstance(value, dict):
        table = tomlkit.inline_table()
        for key, item in value.items():
            table[key] = _toml_value(item, f"{where}.{key}")
        return table
    if isinstance(value, list):
        return [_toml_value(item, f"{where}[{i}]") for i, item in enumerate(value)]
    return value


def _entries(document: tomlkit.TOMLDocument, section: str) -> AoT | None:
    entries = document.get(section)
    if entries is not None and not isinstance(entries, AoT):
        raise ConfigError(f"{section}: expected [[{section}]] entries")
    return entries


def entry(config: WatchConfig, section: str, name: str) -> dict | None:
    """One source or theme as written in the config (defaults filled in), or None."""
    for item in getattr(config, section):
        if item.name == name:
            return item.model_dump()
    return None


def put_entry(section: str, name: str, values: dict) -> Callable[[tomlkit.TOMLDocument], None]:
    """An edit that sets [[section]] `name` to `values` (replacing it in place, or adding it)."""

    def edit(document: tomlkit.TOMLDocument) -> None:
        table = tomlkit.table()
        for key, value in {**values, "name": name}.items():
            table[key] = _toml_value(value, f"{section}.{name}.{key}")
        # name first, as people write it
        ordered = tomlkit.table()
        ordered["name"] = name
        for key, value in table.items():
            if key != "name":
                ordered[key] = value
        ordered.add(tomlkit.nl())  # a blank line before whatever follows
        entries = _entries(document, section)
        if entries is None:
            entries = tomlkit.aot()
            entries.append(ordered)
            document[section] = entries
            return
        for existing in entries:
            if existing.get("name") == name:
                for key in list(existing.keys()):
                    del existing[key]
                existing.update(ordered)
                return
        entries.append(ordered)

    return edit


def delete_entry(section: str, name: str) -> Callable[[tomlkit.TOMLDocument], None]:
    def edit(document: tomlkit.TOMLDocument) -> None:
        entries = _entries(document, section)
        for index, existing in enumerate(entries or []):
            if existing.get("name") == name:
                del entries[index]
                if not len(entries):
                    del document[section]
                return
        raise KeyError(name)

    return edit
