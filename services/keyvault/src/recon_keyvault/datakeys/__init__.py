"""Envelope data keys: generating and unwrapping AES-256 keys for other services."""
