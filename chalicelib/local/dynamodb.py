"""DynamoDB Local: AWS's own jar (SQLite inside), started on loopback for `make run` and the tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO

import boto3
from botocore.config import Config

from chalicelib.local.config import ROOT

JAR_DIR = ROOT / ".local" / "dynamodb"


class DynamoDBLocalError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class DynamoDBLocal:
    """One DynamoDB Local process: in memory, or with its data in a folder."""

    def __init__(self, port: int, data_dir: Path | None = None, jar_dir: Path = JAR_DIR) -> None:
        self.port = port
        self.data_dir = data_dir
        self.jar_dir = jar_dir
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> DynamoDBLocal:
        jar = self.jar_dir / "DynamoDBLocal.jar"
        if not jar.exists():
            raise DynamoDBLocalError(f"DynamoDB Local is not installed ({jar.relative_to(ROOT)} is missing): "
                                     "run `make dynamodb-local`.")
        java = shutil.which("java")
        if java is None:
            raise DynamoDBLocalError("Java is not installed: run `make dynamodb-local` (it installs Java 17).")
        # The jar hangs silently on a busy port, so refuse before starting it.
        if port_in_use(self.port):
            raise DynamoDBLocalError(f"Port {self.port} is already in use, so DynamoDB Local cannot start there. "
                                     "Stop whatever holds it (another `make run`?) or pick another port.")
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        storage = ["-inMemory"]
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            storage = ["-dbPath", str(self.data_dir)]
        self.process = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
            [java, f"-Djava.library.path={self.jar_dir / 'DynamoDBLocal_lib'}", "-jar", str(jar),
             "-port", str(self.port), "-sharedDb", "-disableTelemetry", *storage],
            cwd=self.jar_dir, stdout=self._log, stderr=subprocess.STDOUT,
        )
        self._wait(timeout)
        return self

    def _wait(self, timeout: float) -> None:
        client = boto3.client("dynamodb", endpoint_url=self.endpoint, region_name="ap-southeast-1",
                              aws_access_key_id="local", aws_secret_access_key="local",  # noqa: S106
                              config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=2))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                err = ""
                if self._log is not None:
                    self._log.seek(0)
                    err = self._log.read().decode(errors="replace")
                raise DynamoDBLocalError(f"DynamoDB Local exited with code {self.process.returncode}: {err[-500:]}")
            try:
                client.list_tables(Limit=1)
                return
            except Exception:  # not answering yet
                time.sleep(0.2)
        self.stop()
        raise DynamoDBLocalError(f"DynamoDB Local did not answer ListTables on port {self.port} "
                                 f"within {timeout:.0f} s.")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
