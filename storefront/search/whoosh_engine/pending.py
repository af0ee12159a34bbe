"""Index updates that could not take the write lock in time, kept as small files."""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Collection, Iterable
from pathlib import Path

logger = logging.getLogger(__name__)


class PendingQueue:
    """Listing ids whose index update could not take the write lock in time.

    One small file per deferred update, written whole and renamed into place, so a reader
    never sees half a file. Whoever next holds the write lock claims the files, re-reads
    those listings from the database and deletes the files only after its commit: an update
    is never lost, at worst applied twice (harmless, it is a re-read of the truth).
    """

    SUFFIX = ".ids"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def push(self, listing_ids: Collection[int]) -> None:
        if not listing_ids:
            return
        stem = f"{time.time_ns()}-{os.getpid()}-{uuid.uuid4().hex}"
        temporary = self.directory / f".{stem}.tmp"
        temporary.write_text("\n".join(str(i) for i in sorted(listing_ids)))
        os.replace(temporary, self.directory / f"{stem}{self.SUFFIX}")

    def files(self) -> list[Path]:
        return sorted(self.directory.glob(f"*{self.SUFFIX}"))

    def claim(self) -> tuple[list[Path], set[int]]:
        """The queued files and the ids they hold (call with the write lock held)."""
        paths, ids = self.files(), set[int]()
        for path in paths:
            try:
                ids.update(int(line) for line in path.read_text().split())
            except (OSError, ValueError):
                logger.exception("search: unreadable pending file %s", path)
        return paths, ids

    def done(self, paths: Iterable[Path]) -> None:
        for path in paths:
            path.unlink(missing_ok=True)
