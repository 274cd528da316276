"""Landed files: storing uploads and tracking their status."""
