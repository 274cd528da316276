"""Contract tests that every key backend must pass."""
