"""Tests of data keys."""
