"""Operator actions on matches and breaks, called by the reporting service."""
