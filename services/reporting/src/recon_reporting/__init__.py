"""Reporting service: REST API and web pages over the reconciliation read model."""
