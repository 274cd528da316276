"""Grants: which service may use which bank key for which operations."""
