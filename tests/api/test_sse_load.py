"""A smaller run of benchmarks/sse_load.py: wall streams and a burst of API reads on a real `newsroom web`
over loopback, with no error, and the wall still updating afterwards."""
from __future__ import annotations

from benchmarks.sse_load import measure


def test_streams_and_a_read_burst_without_errors_and_the_wall_still_moves(tmp_path):
    figures = measure(clients=20, reads=300, concurrency=20, posts=100, workdir=tmp_path)
    print("\n" + figures.report())
    assert figures.connected == 20 and figures.reads == 300
    assert figures.errors == 0, figures.report()
    assert figures.updated == 20, figures.report()
