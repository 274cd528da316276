"""The local keyring: key files, master key and data-key wrapping."""

import os
import stat
import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr
from recon_keyvault.backends.local import LocalKeyring
from recon_keyvault.errors import InvalidWrappedKey, KeyMaterialUnavailable

MASTER_KEY = SecretStr("k" * 40)
CONTEXT = {"bank_id": "bank-a", "object_key": "a.txt"}


def _keyring(path: Path, master_key: SecretStr = MASTER_KEY) -> LocalKeyring:
    return LocalKeyring(path=path, master_key=master_key)


async def test_keyring_round_trip_after_restart(tmp_path: Path) -> None:
    key_ref = await _keyring(tmp_path).create_key(
        bank_id="bank-a", key_id=str(uuid.uuid4()), external=False
    )
    issued = await _keyring(tmp_path).generate_data_key(
        key_ref=key_ref, encryption_context=CONTEXT
    )

    plaintext = await _keyring(tmp_path).decrypt_data_key(
        key_ref=key_ref, wrapped=issued.wrapped, encryption_context=CONTEXT
    )

    assert plaintext == issued.plaintext


async def test_keyring_file_private_and_sealed(tmp_path: Path) -> None:
    key_id = str(uuid.uuid4())
    keyring = _keyring(tmp_path)

    await keyring.create_key(bank_id="bank-a", key_id=key_id, external=False)

    key_file = tmp_path / f"{key_id}.key"
    material = keyring._cache[key_id]
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert key_file.read_bytes().startswith(b"RECON-KEYRING-1\n")
    assert len(material) == 32
    assert material not in key_file.read_bytes()


async def test_keyring_other_master_key_rejected(tmp_path: Path) -> None:
    key_ref = await _keyring(tmp_path).create_key(
        bank_id="bank-a", key_id=str(uuid.uuid4()), external=False
    )

    with pytest.raises(KeyMaterialUnavailable, match="master_key"):
        await _keyring(tmp_path, SecretStr("x" * 40)).generate_data_key(
            key_ref=key_ref, encryption_context=CONTEXT
        )


async def test_keyring_renamed_file_rejected(tmp_path: Path) -> None:
    key_ref = await _keyring(tmp_path).create_key(
        bank_id="bank-a", key_id=str(uuid.uuid4()), external=False
    )
    other_ref = str(uuid.uuid4())
    (tmp_path / f"{key_ref}.key").rename(tmp_path / f"{other_ref}.key")

    with pytest.raises(KeyMaterialUnavailable):
        await _keyring(tmp_path).generate_data_key(
            key_ref=other_ref, encryption_context=CONTEXT
        )


async def test_keyring_missing_file_rejected(tmp_path: Path) -> None:
    with pytest.raises(KeyMaterialUnavailable, match="missing"):
        await _keyring(tmp_path).generate_data_key(
            key_ref=str(uuid.uuid4()), encryption_context=CONTEXT
        )


async def test_keyring_path_traversal_reference_rejected(tmp_path: Path) -> None:
    with pytest.raises(KeyMaterialUnavailable, match="UUID"):
        await _keyring(tmp_path).create_key(
            bank_id="bank-a", key_id="../escape", external=False
        )


async def test_keyring_existing_file_not_replaced(tmp_path: Path) -> None:
    key_id = str(uuid.uuid4())
    await _keyring(tmp_path).create_key(bank_id="bank-a", key_id=key_id, external=False)

    with pytest.raises(FileExistsError):
        await _keyring(tmp_path).create_key(
            bank_id="bank-a", key_id=key_id, external=False
        )


async def test_keyring_context_bound_to_wrapped_key(tmp_path: Path) -> None:
    keyring = _keyring(tmp_path)
    key_ref = await keyring.create_key(
        bank_id="bank-a", key_id=str(uuid.uuid4()), external=False
    )
    issued = await keyring.generate_data_key(
        key_ref=key_ref, encryption_context=CONTEXT
    )

    with pytest.raises(InvalidWrappedKey):
        await keyring.decrypt_data_key(
            key_ref=key_ref,
            wrapped=issued.wrapped,
            encryption_context={**CONTEXT, "object_key": "b.txt"},
        )


async def test_data_key_repr_hides_plaintext(tmp_path: Path) -> None:
    keyring = _keyring(tmp_path)
    key_ref = await keyring.create_key(
        bank_id="bank-a", key_id=str(uuid.uuid4()), external=False
    )

    issued = await keyring.generate_data_key(
        key_ref=key_ref, encryption_context=CONTEXT
    )

    assert repr(issued.plaintext) not in repr(issued)
