"""Sealing the audit journal into segments in object storage, and verifying them."""
