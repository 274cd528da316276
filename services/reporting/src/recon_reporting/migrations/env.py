"""Alembic environment of the reporting service."""

from recon_common.migrations import run_migrations
from recon_reporting.models import Base

run_migrations(Base.metadata)
