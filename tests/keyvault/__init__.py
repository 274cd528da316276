"""Tests of the key broker."""
