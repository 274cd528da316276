"""Alembic environment of the matcher service."""

from recon_common.migrations import run_migrations
from recon_matcher.models import Base

run_migrations(Base.metadata)
