"""`newsroom sentiment score`: texts in (one per line, or JSON lines with "text"), JSON lines out."""
from __future__ import annotations

import json
from typing import Iterable, Iterator, TextIO

from sentiment.scoring import Scorer


class BadLine(ValueError):
    pass


def read_text(line: str, number: int) -> str:
    """A JSON object with a "text" field, or else the line itself as the text."""
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            item = json.loads(stripped)
        except json.JSONDecodeError:
            return stripped  # a plain text that happens to start with a brace
        if not isinstance(item.get("text"), str):
            raise BadLine(f"line {number}: a JSON line needs a string field \"text\"")
        return item["text"]
    return stripped


def score_lines(scorer: Scorer, lines: Iterable[str], batch_size: int = 64) -> Iterator[dict]:
    """One result per non-empty input line, in order, scored `batch_size` lines at a time."""
    batch: list[str] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        batch.append(read_text(line, number))
        if len(batch) == batch_size:
            yield from (s.as_dict() for s in scorer.score(batch))
            batch = []
    if batch:
        yield from (s.as_dict() for s in scorer.score(batch))


def run(scorer: Scorer, stdin: TextIO, stdout: TextIO, batch_size: int = 64) -> int:
    n = 0
    for result in score_lines(scorer, stdin, batch_size):
        stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        n += 1
    stdout.flush()
    return n
