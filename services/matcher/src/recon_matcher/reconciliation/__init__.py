"""Storing transactions, matching them and publishing the results."""
