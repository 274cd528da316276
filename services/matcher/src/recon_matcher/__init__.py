"""matcher service."""
