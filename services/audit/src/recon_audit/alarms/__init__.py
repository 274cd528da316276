"""Alarm rules over journaled audit events, and delivery of their notifications."""
