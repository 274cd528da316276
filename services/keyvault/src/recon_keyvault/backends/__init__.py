"""Key backends: where bank key material lives and where data keys are wrapped."""

from recon_keyvault.backends.aws_kms import AwsKmsBackend
from recon_keyvault.backends.base import (
    BackendKeyStatus,
    DataKeyMaterial,
    ImportParameters,
    KeyBackend,
    WrappingAlgorithm,
)
from recon_keyvault.backends.local import LocalKeyring
from recon_keyvault.backends.pkcs11 import Pkcs11Backend
from recon_keyvault.settings import KeyBackendName, KeyvaultSettings


def create_backend(settings: KeyvaultSettings) -> KeyBackend:
    """Build the key backend that the settings select."""
    match settings.backend:
        case KeyBackendName.LOCAL:
            return LocalKeyring(
                path=settings.keyring_path, master_key=settings.master_key
            )
        case KeyBackendName.AWS_KMS:
            return AwsKmsBackend(
                key_arn=settings.kms_key_arn,
                region=settings.aws_region or None,
                endpoint_url=settings.kms_endpoint_url or None,
                grantee_principal=settings.kms_grantee_principal,
            )
        case KeyBackendName.PKCS11:
            return Pkcs11Backend(
                library=settings.pkcs11_library,
                token_label=settings.pkcs11_token_label,
                pin=settings.pkcs11_pin,
            )


__all__ = [
    "AwsKmsBackend",
    "BackendKeyStatus",
    "DataKeyMaterial",
    "ImportParameters",
    "KeyBackend",
    "LocalKeyring",
    "Pkcs11Backend",
    "WrappingAlgorithm",
    "create_backend",
]
