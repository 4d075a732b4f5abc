"""A real S3-protocol server for the tests: moto's standalone server (`moto_server`), started once per test session
on a free localhost port, only when a test asks for it. Each test gets a bucket of its own."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REGION = "us-east-1"
ACCESS_KEY = "go3s-test"
SECRET_KEY = "go3s-test-secret"


@dataclass
class S3Server:
    endpoint_url: str
    process: subprocess.Popen[bytes]

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def new_bucket(self) -> str:
        name = f"go3s-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def environment(self, bucket: str) -> dict[str, str]:
        """The variables a portal process (web or runner) is given to use this bucket."""
        return {
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_S3_REGION_NAME": REGION,
            "AWS_S3_ENDPOINT_URL": self.endpoint_url,
        }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _moto_server() -> str:
    beside = Path(sys.executable).parent / "moto_server"
    return str(beside) if beside.exists() else (shutil.which("moto_server") or "moto_server")


def start_s3_server(log: Path) -> Iterator[S3Server]:
    """Starts `moto_server` and waits until it answers; stops it when the generator is closed."""
    port = _free_port()
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [_moto_server(), "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "1"},
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"moto_server did not start: {log.read_text()[-2000:]}") from None
                    time.sleep(0.1)
            yield S3Server(endpoint_url=f"http://127.0.0.1:{port}", process=process)
        finally:
            stop_process(process)


def stop_process(process: subprocess.Popen[bytes], *, timeout: float = 10) -> None:
    """Ends a server a fixture started: asks it to stop, and kills it when it has not within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def s3_storages(server: S3Server, bucket: str, base: dict[str, Any]) -> dict[str, Any]:
    """The STORAGES setting of a process whose environment is `server.environment(bucket)`, read as the
    settings read it."""
    from portal.env import Env
    from portal.object_storage import default_storage_backend

    return {**base, "default": default_storage_backend(Env(server.environment(bucket)).object_storage())}
