"""Object storage of landed files, chosen by settings."""

from recon_common.keyvault_client import KeyvaultClient
from recon_common.storage import ObjectStore
from recon_common.storage.local import LocalObjectStore
from recon_common.storage.s3 import S3ObjectStore

from recon_ingest.settings import IngestSettings, StorageBackend


async def open_object_store(settings: IngestSettings) -> ObjectStore:
    """Open the configured backend; the S3 bucket is prepared idempotently."""
    if settings.storage_backend == StorageBackend.S3:
        if not settings.s3_bucket or not settings.kms_key_arn:
            raise ValueError(
                "INGEST_STORAGE_BACKEND=s3 needs INGEST_S3_BUCKET and "
                "INGEST_KMS_KEY_ARN"
            )
        store = S3ObjectStore(
            bucket=settings.s3_bucket,
            prefix=settings.s3_prefix or settings.bank_id,
            kms_key_id=settings.kms_key_arn,
            region=settings.s3_region,
            endpoint_url=settings.s3_endpoint_url,
        )
        await store.open()
        await store.ensure_bucket()
        return store
    keys = KeyvaultClient(
        base_url=settings.keyvault_url,
        token=settings.service_token.get_secret_value(),
        bank_id=settings.bank_id,
        service=settings.service_name,
    )
    return LocalObjectStore(
        root=settings.storage_path, bank_id=settings.bank_id, keys=keys
    )
