"""The weekly newsletter: one week's data, rendering (Jinja2), the chart, the archive and SMTP delivery.

May import: `core` only (`newsroom.jobs` schedules it, `newsroom.cli` builds and sends it).
"""
