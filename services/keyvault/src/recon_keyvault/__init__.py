"""keyvault service."""
