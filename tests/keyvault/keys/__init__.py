"""Tests of bank keys."""
