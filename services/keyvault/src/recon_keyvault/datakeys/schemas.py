"""API models of data keys. `plaintext` is the only place a data key leaves in clear."""

from pydantic import BaseModel, Field


class DataKeyRequest(BaseModel):
    encryption_context: dict[str, str] = Field(default_factory=dict)


class DataKeyOut(BaseModel):
    key_id: str
    plaintext: str = Field(description="the AES-256 data key, base64")
    wrapped_key: str


class DecryptRequest(BaseModel):
    wrapped_key: str = Field(min_length=1, max_length=4096)
    encryption_context: dict[str, str] = Field(default_factory=dict)


class DecryptOut(BaseModel):
    plaintext: str = Field(description="the AES-256 data key, base64")
