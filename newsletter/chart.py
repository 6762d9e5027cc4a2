"""The sentiment trend chart of the newsletter: posts per day, stacked by sentiment, as a PNG.

Drawn larger than it is shown (at most 552 px wide in the mail) so it stays sharp on phones, with
letters big enough to read there. Built on a
bare matplotlib Figure (no pyplot), so charts can be drawn from scheduler threads.
"""
from __future__ import annotations

import io
from datetime import datetime

from core.vocabulary import label_name

from .weeks import WEEKDAYS

COLOURS = {"negative": "#c0392b", "neutral": "#aab2bd", "positive": "#2e8b57", "unscored": "#e3e6ea"}
WIDTH_PX, HEIGHT_PX, DPI = 900, 500, 160


def day_label(start: str) -> str:
    day = datetime.fromisoformat(start)
    return f"{WEEKDAYS[day.weekday()]} {day.day}"


def trend_png(days: list[dict]) -> bytes:
    """`days`: [{"start": iso, "counts": {label: n}, "net_sentiment": float | None}] -> PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels = [day_label(day["start"]) for day in days]
    positions = range(len(days))
    bottom = [0] * len(days)
    shown = [key for key in COLOURS if key != "unscored" or any(d["counts"].get(key) for d in days)]
    for key in shown:
        values = [day["counts"].get(key, 0) for day in days]
        axes.bar(positions, values, bottom=bottom, color=COLOURS[key], width=0.66, label=label_name(key))
        bottom = [b + v for b, v in zip(bottom, values)]
    top = max(bottom) or 1
    for x, (total, day) in enumerate(zip(bottom, days)):
        net = day.get("net_sentiment")
        if total and net is not None:
            axes.annotate(f"{net:+.0f}" if round(net) else "0", (x, total), xytext=(0, 3), textcoords="offset points",
                          ha="center", va="bottom", fontsize=10, color="#333333")
    axes.set_xticks(list(positions), labels, fontsize=10.5)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(axis="y", labelsize=9.5, colors="#555555")
    axes.tick_params(axis="x", length=0)
    axes.set_ylim(0, top * 1.18)
    axes.set_ylabel("berichten", fontsize=10, color="#555555")
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color("#bbbbbb")
    axes.yaxis.grid(True, color="#eeeeee", linewidth=0.8)
    axes.set_axisbelow(True)
    axes.legend(loc="lower left", bbox_to_anchor=(-0.01, 1.02), ncol=len(shown), frameon=False, fontsize=10,
                handlelength=1, handletextpad=0.4, columnspacing=1.0, borderaxespad=0)
    figure.subplots_adjust(left=0.1, right=0.99, top=0.86, bottom=0.1)
    buffer = io.BytesIO()
    # No Software/date metadata: the same week drawn twice gives the same bytes.
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
