"""Alembic environment of the audit service."""

from recon_audit.models import Base
from recon_common.migrations import run_migrations

run_migrations(Base.metadata)
