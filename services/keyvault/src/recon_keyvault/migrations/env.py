"""Alembic environment of the key broker."""

from recon_common.migrations import run_migrations
from recon_keyvault.models import Base

run_migrations(Base.metadata)
