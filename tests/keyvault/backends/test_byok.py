"""Client-side wrapping of imported key material, with real RSA and AES key wrap."""

import secrets

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from recon_keyvault.backends import WrappingAlgorithm
from recon_keyvault.backends.byok import unwrap_key_material, wrap_key_material
from recon_keyvault.errors import InvalidImport


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    """Return an RSA-3072 key pair, the size that import parameters use."""
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


def _public_der(private_key: rsa.RSAPrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize("algorithm", list(WrappingAlgorithm))
def test_byok_wrap_round_trip(
    private_key: rsa.RSAPrivateKey, algorithm: WrappingAlgorithm
) -> None:
    material = secrets.token_bytes(32)
    wrapped = wrap_key_material(
        material, public_key_der=_public_der(private_key), algorithm=algorithm
    )

    unwrapped = unwrap_key_material(
        wrapped, private_key=private_key, algorithm=algorithm
    )

    assert unwrapped == material


def test_byok_hybrid_layout(private_key: rsa.RSAPrivateKey) -> None:
    wrapped = wrap_key_material(
        secrets.token_bytes(32),
        public_key_der=_public_der(private_key),
        algorithm=WrappingAlgorithm.RSA_AES_KEY_WRAP_SHA_256,
    )

    # One RSA-3072 block, then RFC 5649 output: 32 bytes plus an 8-byte block.
    assert len(wrapped) == 384 + 40


def test_byok_other_key_rejected(private_key: rsa.RSAPrivateKey) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    wrapped = wrap_key_material(
        secrets.token_bytes(32),
        public_key_der=_public_der(other),
        algorithm=WrappingAlgorithm.RSAES_OAEP_SHA_256,
    )

    with pytest.raises(InvalidImport):
        unwrap_key_material(
            wrapped,
            private_key=private_key,
            algorithm=WrappingAlgorithm.RSAES_OAEP_SHA_256,
        )


def test_byok_wrong_algorithm_rejected(private_key: rsa.RSAPrivateKey) -> None:
    wrapped = wrap_key_material(
        secrets.token_bytes(32),
        public_key_der=_public_der(private_key),
        algorithm=WrappingAlgorithm.RSA_AES_KEY_WRAP_SHA_256,
    )

    with pytest.raises(InvalidImport):
        unwrap_key_material(
            wrapped,
            private_key=private_key,
            algorithm=WrappingAlgorithm.RSAES_OAEP_SHA_256,
        )


def test_byok_short_material_rejected(private_key: rsa.RSAPrivateKey) -> None:
    wrapped = wrap_key_material(
        secrets.token_bytes(16),
        public_key_der=_public_der(private_key),
        algorithm=WrappingAlgorithm.RSAES_OAEP_SHA_256,
    )

    with pytest.raises(InvalidImport, match="16 bytes"):
        unwrap_key_material(
            wrapped,
            private_key=private_key,
            algorithm=WrappingAlgorithm.RSAES_OAEP_SHA_256,
        )
