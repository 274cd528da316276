"""A data key provider whose key-encryption key is given, for use across processes."""

from tests.common.test_storage_local import WrappingKeyProvider


class FixedKeyProvider(WrappingKeyProvider):
    """`WrappingKeyProvider` with a given key-encryption key instead of a random one."""

    def __init__(self, key_encryption_key: bytes) -> None:
        super().__init__()
        self._key_encryption_key = key_encryption_key
