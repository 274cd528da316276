"""Bank keys: creation, listing, enabling and disabling."""
