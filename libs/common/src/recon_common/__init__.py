"""Shared plumbing for the reconciliation services."""
