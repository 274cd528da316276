"""Alembic environment of the matcher service."""

# Imported for its tables, which join `Base.metadata` like those of `models`.
import recon_matcher.definitions.records  # noqa: F401
from recon_common.migrations import run_migrations
from recon_matcher.models import Base

run_migrations(Base.metadata)
