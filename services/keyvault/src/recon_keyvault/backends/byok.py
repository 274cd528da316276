"""Wrapping of imported key material (bring your own key), as AWS KMS defines it.

`RSAES_OAEP_SHA_256`: the 32-byte material is encrypted with RSA-OAEP, SHA-256 as
hash and MGF1 hash. `RSA_AES_KEY_WRAP_SHA_256`: a fresh 32-byte AES key is
encrypted with RSA-OAEP SHA-256, the material is wrapped with that AES key by AES
key wrap with padding (RFC 5649), and the two are concatenated, RSA part first. The
bank runs `wrap_key_material` (or OpenSSL) on its side; the local keyring runs
`unwrap_key_material` on import, and KMS does the same inside AWS.
"""

import secrets

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import (
    InvalidUnwrap,
    aes_key_unwrap_with_padding,
    aes_key_wrap_with_padding,
)

from recon_keyvault.backends.base import WrappingAlgorithm
from recon_keyvault.errors import InvalidImport

MATERIAL_BYTES = 32
_EPHEMERAL_KEY_BYTES = 32


def _oaep() -> padding.OAEP:
    return padding.OAEP(
        mgf=padding.MGF1(algorithm=hashes.SHA256()),
        algorithm=hashes.SHA256(),
        label=None,
    )


def wrap_key_material(
    material: bytes, *, public_key_der: bytes, algorithm: WrappingAlgorithm
) -> bytes:
    """Wrap 32 bytes of key material with the import's public key."""
    public_key = serialization.load_der_public_key(public_key_der)
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise InvalidImport("the import's public key is not an RSA key")
    if algorithm == WrappingAlgorithm.RSAES_OAEP_SHA_256:
        return public_key.encrypt(material, _oaep())
    ephemeral = secrets.token_bytes(_EPHEMERAL_KEY_BYTES)
    wrapped_ephemeral = public_key.encrypt(ephemeral, _oaep())
    return wrapped_ephemeral + aes_key_wrap_with_padding(ephemeral, material)


def unwrap_key_material(
    encrypted: bytes,
    *,
    private_key: rsa.RSAPrivateKey,
    algorithm: WrappingAlgorithm,
) -> bytes:
    """Unwrap material wrapped by `wrap_key_material`; raise `InvalidImport`."""
    rsa_bytes = private_key.key_size // 8
    try:
        if algorithm == WrappingAlgorithm.RSAES_OAEP_SHA_256:
            material = private_key.decrypt(encrypted, _oaep())
        else:
            ephemeral = private_key.decrypt(encrypted[:rsa_bytes], _oaep())
            material = aes_key_unwrap_with_padding(ephemeral, encrypted[rsa_bytes:])
    except (ValueError, InvalidUnwrap):
        raise InvalidImport(
            f"the key material does not unwrap with {algorithm.value} and this "
            "import's public key; wrap it again with the parameters of this import"
        ) from None
    if len(material) != MATERIAL_BYTES:
        raise InvalidImport(
            f"the imported material is {len(material)} bytes; a bank key needs "
            f"{MATERIAL_BYTES} bytes (AES-256)"
        )
    return material
