"""crawl run indexes: a source's latest (successful) run in one index step, failed runs counted per
source from the index

core.store.sources.latest_run (the Overzicht, the wall's source health, /bronnen, the scheduler) looks
up each source's run with the highest id; with only (source_id, started_at) that sorted all of the
source's runs: about 300 ms per source after a year of 10-minute crawls (1.6M runs for 30 sources).
source_health counted failed runs per source through (status) and a table lookup per run: seconds.
(status, source_id) replaces (status), which it serves too.

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_crawl_runs_source_id", "crawl_runs", ["source_id", "id"])
    op.create_index("ix_crawl_runs_status_source", "crawl_runs", ["status", "source_id"])
    op.drop_index("ix_crawl_runs_status", table_name="crawl_runs")


def downgrade() -> None:
    op.create_index("ix_crawl_runs_status", "crawl_runs", ["status"])
    op.drop_index("ix_crawl_runs_status_source", table_name="crawl_runs")
    op.drop_index("ix_crawl_runs_source_id", table_name="crawl_runs")
