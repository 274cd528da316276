"""Alembic environment of the ingest service."""

from recon_common.migrations import run_migrations
from recon_ingest.models import Base

run_migrations(Base.metadata)
