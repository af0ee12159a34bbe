"""Where public media — listing photos and cooperative logos — are kept: a local folder
(UPLOAD_DIR, the default) or an S3-compatible bucket (MEDIA_STORAGE=s3).

Keys are relative names such as "listings/<stem>-card.webp" or "logos/<stem>-thumb.webp";
every write and delete of a photo or logo goes through `media_storage()`. Certificate scans
never do: they are private and stay in SCAN_DIR (core/files.py), so no bucket, public URL or
CDN can ever hold one (docs/deployment.md "Photos").

`private_storage()` keeps what must not be public until it has been processed: a listing
photo's original as uploaded (EXIF, GPS position and all) waits there for its job. Locally it
is PRIVATE_MEDIA_DIR, outside UPLOAD_DIR; in a bucket, keys under S3_PRIVATE_PREFIX (in
S3_PRIVATE_BUCKET, or S3_BUCKET), which has no public address and which no public read policy
may cover. Nothing links or serves it: /media/ reads only the public storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app

try:  # the optional `s3` extra
    import boto3
    from botocore.exceptions import ClientError
except ImportError:  # pragma: no cover - only local storage without it
    boto3 = None
    ClientError = Exception

# Our names are random: an object never changes under its key, so caches may keep it long.
CACHE_CONTROL = "public, max-age=86400"
PRIVATE_CACHE_CONTROL = "private, no-store"
EXTENSION_KEY = "storefront.media_storage"
PRIVATE_EXTENSION_KEY = "storefront.private_media_storage"


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    content_type: str


class MediaStorage(Protocol):
    def save(self, key: str, data: bytes, content_type: str) -> None: ...

    def open(self, key: str) -> StoredObject | None:
        """The object's bytes and type, or None when there is no such object."""
        ...

    def delete(self, key: str) -> None:
        """Delete the object; nothing happens when there is none."""
        ...

    def url(self, key: str) -> str | None:
        """A public address of the object, or None when the app's /media/ route serves it."""
        ...


def _checked(key: str) -> str:
    # Keys are ours ("folder/name"); refuse anything that could climb out of the root.
    parts = key.split("/")
    if len(parts) != 2 or any(not p or p.startswith(".") or "\\" in p for p in parts):
        raise ValueError(f"not a media key: {key!r}")
    return key


class LocalStorage:
    """Files under one folder (UPLOAD_DIR): the key is the path below it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / _checked(key)

    def save(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def open(self, key: str) -> StoredObject | None:
        path = self.path(key)
        if not path.is_file():
            return None
        return StoredObject(path.read_bytes(), _content_type(key))

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def url(self, key: str) -> str | None:
        return None


class S3Storage:
    """Objects in one bucket of an S3-compatible store, under `prefix`."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str = "",
        public_base_url: str = "",
        cache_control: str = CACHE_CONTROL,
    ):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.public_base_url = public_base_url.rstrip("/")
        self.cache_control = cache_control

    def object_key(self, key: str) -> str:
        return self.prefix + _checked(key)

    def save(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.object_key(key),
            Body=data,
            ContentType=content_type,
            CacheControl=self.cache_control,
        )

    def open(self, key: str) -> StoredObject | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        with response["Body"] as body:
            data = body.read()
        return StoredObject(data, response.get("ContentType") or _content_type(key))

    def delete(self, key: str) -> None:
        # S3 answers a delete of a missing key with success too.
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def url(self, key: str) -> str | None:
        if not self.public_base_url:
            return None
        return f"{self.public_base_url}/{self.object_key(key)}"


def _content_type(key: str) -> str:
    return {
        "webp": "image/webp",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "png": "image/png",
    }.get(key.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def _s3_client(config: dict[str, Any] | Any) -> Any:
    kind = config.get("MEDIA_STORAGE", "local") or "local"
    if kind != "s3":
        raise RuntimeError(f"MEDIA_STORAGE must be 'local' or 's3', not {kind!r}")
    if boto3 is None:
        raise RuntimeError("MEDIA_STORAGE=s3 needs boto3: pip install 'ocop-market[s3]'")
    if not config.get("S3_BUCKET"):
        raise RuntimeError("MEDIA_STORAGE=s3 needs S3_BUCKET")
    return boto3.client(
        "s3",
        endpoint_url=config.get("S3_ENDPOINT_URL") or None,
        region_name=config.get("S3_REGION") or None,
        aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
        aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
    )


def make_storage(config: dict[str, Any] | Any) -> MediaStorage:
    kind = config.get("MEDIA_STORAGE", "local") or "local"
    if kind == "local":
        return LocalStorage(Path(config["UPLOAD_DIR"]))
    return S3Storage(
        _s3_client(config),
        config["S3_BUCKET"],
        prefix=config.get("S3_PREFIX") or "",
        public_base_url=config.get("S3_PUBLIC_BASE_URL") or "",
    )


def make_private_storage(config: dict[str, Any] | Any) -> MediaStorage:
    """Where originals wait for processing: never with a public address."""
    kind = config.get("MEDIA_STORAGE", "local") or "local"
    if kind == "local":
        return LocalStorage(Path(config["PRIVATE_MEDIA_DIR"]))
    prefix = config.get("S3_PRIVATE_PREFIX") or "private/"
    bucket = config.get("S3_PRIVATE_BUCKET") or config["S3_BUCKET"]
    if bucket == config["S3_BUCKET"] and prefix == (config.get("S3_PREFIX") or ""):
        raise RuntimeError("S3_PRIVATE_PREFIX must differ from S3_PREFIX in the same bucket")
    return S3Storage(
        _s3_client(config),
        bucket,
        prefix=prefix,
        public_base_url="",  # never a public address
        cache_control=PRIVATE_CACHE_CONTROL,
    )


def media_storage() -> MediaStorage:
    """This app's storage (a bucket's boto3 client is made once per app, on first use)."""
    app = current_app
    if (app.config.get("MEDIA_STORAGE") or "local") == "local":
        # Cheap, and always the folder UPLOAD_DIR names now.
        return LocalStorage(Path(app.config["UPLOAD_DIR"]))
    storage: MediaStorage | None = app.extensions.get(EXTENSION_KEY)
    if storage is None:
        storage = app.extensions[EXTENSION_KEY] = make_storage(app.config)
    return storage


def private_storage() -> MediaStorage:
    """This app's private storage (originals waiting for their job): see the module's doc."""
    app = current_app
    if (app.config.get("MEDIA_STORAGE") or "local") == "local":
        return LocalStorage(Path(app.config["PRIVATE_MEDIA_DIR"]))
    storage: MediaStorage | None = app.extensions.get(PRIVATE_EXTENSION_KEY)
    if storage is None:
        storage = app.extensions[PRIVATE_EXTENSION_KEY] = make_private_storage(app.config)
    return storage


def init_app(app: Flask) -> None:
    # A wrong MEDIA_STORAGE stops the start, not the first upload.
    kind = app.config.get("MEDIA_STORAGE", "local") or "local"
    if kind not in ("local", "s3"):
        raise RuntimeError(f"MEDIA_STORAGE must be 'local' or 's3', not {kind!r}")
