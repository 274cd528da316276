"""The tamper-evident audit journal."""
