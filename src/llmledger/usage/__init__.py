"""Normalised :class:`Usage` and :func:`extract_usage`, which reads it from any supported response.

One small pure module per provider shape (:mod:`.openai`, :mod:`.anthropic`, :mod:`.google`,
:mod:`.pydantic_ai`); none imports an SDK.
"""

from __future__ import annotations

from ._extract import extract_model, extract_provider, extract_request_id, extract_usage
from ._types import ImageUsage, Usage

__all__ = ["ImageUsage", "Usage", "extract_model", "extract_provider", "extract_request_id", "extract_usage"]
