"""HTTP client of the key broker, used for envelope encryption by other services."""

import base64
from dataclasses import dataclass
from typing import Self

import httpx

from recon_common.errors import ReconError


class KeyBrokerError(ReconError):
    status_code = 502


@dataclass(frozen=True)
class DataKey:
    """A fresh AES-256 data key: the plaintext for one use and its wrapped form."""

    key_id: str
    plaintext: bytes
    wrapped: str


class KeyvaultClient:
    """Request data keys from the key broker and unwrap them again."""

    def __init__(
        self, *, base_url: str, token: str, bank_id: str, service: str
    ) -> None:
        self._bank_id = bank_id
        self._client = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}", "X-Service": service},
            timeout=httpx.Timeout(10.0),
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def generate_data_key(self, *, context: dict[str, str]) -> DataKey:
        """Return a new data key wrapped by the bank's key under `context`."""
        body = await self._post(
            f"/v1/banks/{self._bank_id}/data-keys", {"encryption_context": context}
        )
        return DataKey(
            key_id=body["key_id"],
            plaintext=base64.b64decode(body["plaintext"]),
            wrapped=body["wrapped_key"],
        )

    async def decrypt_data_key(self, *, wrapped: str, context: dict[str, str]) -> bytes:
        """Return the plaintext of a wrapped data key; the context must match."""
        body = await self._post(
            f"/v1/banks/{self._bank_id}/data-keys/decrypt",
            {"wrapped_key": wrapped, "encryption_context": context},
        )
        return base64.b64decode(body["plaintext"])

    async def _post(self, path: str, payload: dict[str, object]) -> dict[str, str]:
        try:
            response = await self._client.post(path, json=payload)
        except httpx.HTTPError as exc:
            raise KeyBrokerError(
                f"key broker at {self._client.base_url} is unreachable: {exc}; check "
                "that the keyvault service is running"
            ) from exc
        if response.status_code != 200:
            raise KeyBrokerError(
                f"key broker rejected {path} with status {response.status_code}: "
                f"{response.text[:300]}"
            )
        result: dict[str, str] = response.json()
        return result
