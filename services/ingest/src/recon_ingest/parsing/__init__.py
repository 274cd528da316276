"""Turning landed files into normalized transactions."""
