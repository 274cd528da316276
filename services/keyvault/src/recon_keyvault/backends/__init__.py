"""Key backends: where bank key material lives and where data keys are wrapped."""

from recon_keyvault.backends.base import DataKeyMaterial, KeyBackend
from recon_keyvault.backends.local import LocalKeyring
from recon_keyvault.settings import KeyBackendName, KeyvaultSettings


def create_backend(settings: KeyvaultSettings) -> KeyBackend:
    """Build the key backend that the settings select."""
    # TODO: add the AWS KMS (aiobotocore) and PKCS#11 (python-pkcs11) backends here.
    match settings.backend:
        case KeyBackendName.LOCAL:
            return LocalKeyring(
                path=settings.keyring_path, master_key=settings.master_key
            )


__all__ = ["DataKeyMaterial", "KeyBackend", "LocalKeyring", "create_backend"]
