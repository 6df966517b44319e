"""Records as JSON lines: the spill file a tracker writes when its ledger cannot be reached.

``llmledger import FILE`` loads such a file into a ledger later; writes are idempotent by record
id, so importing a file twice adds nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .record import COLUMNS, CallRecord, to_rows

__all__ = ["read_jsonl", "write_jsonl"]


def write_jsonl(records: Iterable[CallRecord], path: str | Path) -> int:
    """Append records to ``path`` (one JSON object a line) and fsync; return how many."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with target.open("a", encoding="utf-8") as out:
        for row in to_rows(records):
            out.write(json.dumps(dict(zip(COLUMNS, row, strict=True)), separators=(",", ":")) + "\n")
            count += 1
        out.flush()
        os.fsync(out.fileno())
    return count


def read_jsonl(path: str | Path) -> Iterator[CallRecord]:
    """The records of a spill file.

    Raises:
        ValueError: a line is not a record (its line number is in the message).
    """
    with Path(path).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield CallRecord.from_row(json.loads(line))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}, line {number}: not a llmledger record ({exc})") from exc
