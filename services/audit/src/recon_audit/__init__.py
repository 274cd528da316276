"""audit service."""
