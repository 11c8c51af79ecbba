"""An S3 API server on loopback (moto's), and a bucket in it, for the media storage tests."""
from __future__ import annotations

import contextlib
from typing import Iterator

from tests.rig.nodes import free_port

ACCESS_KEY, SECRET_KEY, REGION = "testing", "testing", "us-east-1"


@contextlib.contextmanager
def s3_server() -> Iterator[str]:
    """The endpoint URL of a fresh S3 server with nothing in it."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _client(endpoint: str):  # noqa: ANN202
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY)


def create_bucket(endpoint: str, name: str) -> None:
    _client(endpoint).create_bucket(Bucket=name)


def s3_settings(endpoint: str, bucket: str) -> dict[str, str]:
    """The node's settings, as environment variables, for media in that bucket."""
    return {"BACKCHANNEL_MEDIA_STORAGE": "s3", "BACKCHANNEL_S3_BUCKET": bucket, "BACKCHANNEL_S3_ENDPOINT": endpoint,
            "BACKCHANNEL_S3_REGION": REGION, "BACKCHANNEL_S3_ACCESS_KEY": ACCESS_KEY,
            "BACKCHANNEL_S3_SECRET_KEY": SECRET_KEY}


def make_public(endpoint: str, bucket: str) -> None:
    """Anyone may read the bucket's objects, as a bucket behind media_public_url is set up."""
    import json

    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                      "Resource": f"arn:aws:s3:::{bucket}/*"}]}
    _client(endpoint).put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
