"""Find a session by id, id prefix or name: what every command that takes a session uses."""

from __future__ import annotations

from ..exceptions import SessionNotFoundError
from .base import Ledger
from .record import SessionInfo

__all__ = ["find_session"]


def find_session(ledger: Ledger, ref: str | None = None) -> SessionInfo:
    """The session ``ref`` names: an exact id, else the latest session of that name, else a unique id prefix.

    ``None`` means the latest session.

    Raises:
        SessionNotFoundError: the ledger has no sessions, nothing matches, or the prefix matches several.
    """
    sessions = ledger.sessions()
    if not sessions:
        raise SessionNotFoundError(ref or "(latest)")
    if ref is None:
        return sessions[-1]
    for info in sessions:
        if info.id == ref:
            return info
    for info in reversed(sessions):  # the latest session of that name
        if info.name == ref:
            return info
    matches = [info for info in sessions if info.id.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    raise SessionNotFoundError(ref, candidates=len(matches))
