"""An S3-compatible service on a local port (moto's server, spoken to over HTTP like any other),
and settings that keep payment proofs there."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sync.settings import Settings

BUCKET = "orderhub-proofs"
#: made-up credentials, distinctive enough to be searched for in logs and messages
ACCESS_KEY = "AKIAPROOFSTESTKEY0042"
SECRET_KEY = "proofs-test-secret-key-do-not-show-7f3a9c"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def s3_settings(endpoint: str, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "proofs_s3_bucket": BUCKET, "proofs_s3_endpoint_url": endpoint, "proofs_s3_region": "us-east-1",
        "proofs_s3_access_key_id": ACCESS_KEY, "proofs_s3_secret_access_key": SECRET_KEY,
        "proofs_s3_prefix": "proofs/", **changes}
    return Settings(**values)


@contextmanager
def s3_server() -> Iterator[str]:
    """A fresh S3 service with the proofs' bucket; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        raw_client(endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


def raw_client(endpoint: str) -> Any:
    """A client of its own, to look at the bucket behind the application's back."""
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY)


def objects(endpoint: str) -> list[str]:
    listed = raw_client(endpoint).list_objects_v2(Bucket=BUCKET)
    return sorted(o["Key"] for o in listed.get("Contents", []))
