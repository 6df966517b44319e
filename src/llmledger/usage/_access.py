"""Read SDK objects by attribute and JSON dicts by key, through the same code.

Every provider module reads responses with :func:`get`, :func:`has` and :func:`count`, so a
``ChatCompletion`` and the dict it was parsed from give the same :class:`~llmledger.usage.Usage`.
Nothing here imports an SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["MalformedUsageError", "count", "get", "has"]


class MalformedUsageError(ValueError):
    """A usage field that is present but is not a non-negative integer."""


_NOT_OBJECTS = (bool, int, float, str, bytes, list, tuple)


def get(obj: Any, *names: str) -> Any:
    """Return the first of ``names`` that ``obj`` holds with a value other than ``None``.

    Mappings are read by key, anything else by attribute.

    Args:
        obj: An SDK object, a dict, or ``None``.
        *names: Names to try in order, for example ``"prompt_token_count", "promptTokenCount"``.

    Returns:
        The value, or ``None`` when no name is present (or all are ``None``).

    Raises:
        MalformedUsageError: ``obj`` is a number, string or sequence, where an object was expected.
    """
    if obj is None:
        return None
    if type(obj) is dict or isinstance(obj, Mapping):
        for name in names:
            value = obj.get(name)
            if value is not None:
                return value
        return None
    if isinstance(obj, _NOT_OBJECTS):
        raise MalformedUsageError(f"expected an object with {names[0]}, got {obj!r}")
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return None


def has(obj: Any, name: str) -> bool:
    """Whether ``obj`` has the key (mapping) or the attribute ``name``, even if its value is ``None``."""
    if type(obj) is dict or isinstance(obj, Mapping):
        return name in obj
    return hasattr(obj, name)


def count(obj: Any, *names: str) -> int | None:
    """Return a token count read with :func:`get`.

    Args:
        obj: An SDK usage object, a dict, or ``None``.
        *names: Names to try in order.

    Returns:
        The count, or ``None`` when it is absent.

    Raises:
        MalformedUsageError: The value is present but is not an ``int`` (``bool`` included).
    """
    value = get(obj, *names)
    if value is None or type(value) is int:
        return value
    raise MalformedUsageError(f"{names[0]} must be an integer, got {value!r}")
