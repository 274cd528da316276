"""Tests of key grants."""
