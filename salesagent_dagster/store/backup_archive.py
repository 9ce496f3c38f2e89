"""Where app DB backups are kept: the object store in production (S3 or an S3-compatible
server, reached as the instance's S3 compute logs are: boto3 reads AWS_ENDPOINT_URL_S3, the
credentials and the region from the environment), a directory on the embedded default.

A backup is named by the UTC time it was taken (`app-db-20261201T020000Z.dump`), so the
archive's own listing orders them and says how old each is without a catalogue to keep.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

NAME_PREFIX = "app-db-"
_STAMP = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(rf"^{NAME_PREFIX}(\d{{8}}T\d{{6}}Z)\.(dump|sqlite)$")


@dataclass(frozen=True)
class ArchivedBackup:
    name: str
    taken_at: datetime
    bytes: int


def backup_name(taken_at: datetime, postgres: bool) -> str:
    return f"{NAME_PREFIX}{taken_at.astimezone(UTC).strftime(_STAMP)}.{'dump' if postgres else 'sqlite'}"


def taken_at_of(name: str) -> datetime | None:
    """When the backup named `name` was taken; None for anything that is not one of ours."""
    match = _NAME.match(name)
    return datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC) if match else None


class BackupArchive(Protocol):
    """Put, list, fetch and delete backup files; `where` names the place for people."""

    where: str

    def put(self, local: Path, name: str) -> None: ...

    def fetch(self, name: str, local: Path) -> Path: ...

    def backups(self) -> list[ArchivedBackup]: ...

    def delete(self, name: str) -> None: ...


class DirectoryArchive:
    """Backups in a local directory, owner-only (they hold personal data)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.where = str(directory)

    def put(self, local: Path, name: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = self.directory / name
        shutil.copyfile(local, target)
        target.chmod(0o600)

    def fetch(self, name: str, local: Path) -> Path:
        shutil.copyfile(self.directory / name, local)
        local.chmod(0o600)
        return local

    def backups(self) -> list[ArchivedBackup]:
        found = []
        for file in self.directory.glob(f"{NAME_PREFIX}*") if self.directory.is_dir() else []:
            if (taken := taken_at_of(file.name)) is not None:
                found.append(ArchivedBackup(file.name, taken, file.stat().st_size))
        return sorted(found, key=lambda backup: backup.taken_at)

    def delete(self, name: str) -> None:
        (self.directory / name).unlink(missing_ok=True)


class S3Archive:
    """Backups under `prefix/` in an S3 bucket, encrypted at rest by the server (SSE)."""

    def __init__(self, bucket: str, prefix: str, client: Any | None = None) -> None:
        import boto3

        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.where = f"s3://{bucket}/{self.prefix}"
        self._client = client or boto3.client("s3")

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def put(self, local: Path, name: str) -> None:
        self._client.upload_file(
            str(local), self.bucket, self._key(name),
            ExtraArgs={"ServerSideEncryption": "AES256"},
        )  # fmt: skip

    def fetch(self, name: str, local: Path) -> Path:
        self._client.download_file(self.bucket, self._key(name), str(local))
        local.chmod(0o600)
        return local

    def backups(self) -> list[ArchivedBackup]:
        found = []
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key(NAME_PREFIX)
        )
        for page in pages:
            for item in page.get("Contents", []):
                name = item["Key"].rsplit("/", 1)[-1]
                if (taken := taken_at_of(name)) is not None:
                    found.append(ArchivedBackup(name, taken, int(item["Size"])))
        return sorted(found, key=lambda backup: backup.taken_at)

    def delete(self, name: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=self._key(name))
