"""Tests of key backends."""
