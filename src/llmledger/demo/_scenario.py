"""The demo's made-up job: page layouts compared against master images by a vision model.

Pure functions only: names, images, prompts, request bodies, answer parsing, and the responder
the local server uses to answer like a vision model would (deterministically, from hashes).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import struct
import zlib
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MatchVerdict",
    "PanelCount",
    "demo_responder",
    "layout_names",
    "master_ids",
    "pair_request",
    "panel_request",
    "parse_match",
    "parse_panels",
]

LAYOUT_SIZE = (1700, 2200)
"""A letter page scanned at 200 dpi: 765 image tokens at ``detail="high"``."""
MASTER_SIZE = (1024, 768)
"""A master panel image: 765 image tokens at high detail, 85 as a low-detail thumbnail."""

_BRIEF = """\
You are a print-production assistant for a catalogue publisher. Each page layout of the \
catalogue is assembled from panels, and every panel is a copy of one master image from the \
approved master library. Master ids look like 1011A_1011_05: the artwork number, the variant \
letter, the family number and the panel number. A layout may crop, scale or rotate a master by \
90 degrees, may place it on a coloured background and may print text over its edges, but the \
artwork inside the panel stays the same. Colour shifts of a few percent come from the printer \
profile and do not matter. Different variants of the same artwork (A, B, C) differ in small \
details such as a logo, a price badge or the direction a product faces: treat them as \
different masters. Look at the whole layout before you decide, including the margins and the \
folded area near the spine, where panels are often partly hidden. Never guess from the file \
names or from the order of the images: decide from the pixels only. When the image quality \
does not let you decide, say so through a low confidence rather than a wrong answer. Answer \
with the JSON object the response format asks for and nothing else: no prose, no markdown.
"""

PAIR_SYSTEM_PROMPT = (
    _BRIEF
    + """\
Task: you get one page layout and one master image. Decide whether the master appears as a \
panel anywhere on the layout. Set "match" to true only when you can point at the panel, and \
set "confidence" between 0 and 1.
"""
)

PANEL_SYSTEM_PROMPT = (
    _BRIEF
    + """\
Task: you get the whole master library as low-detail thumbnails, then one page layout. Count \
the panels on the layout, list the ids of the masters you are sure appear on it under \
"matches", and list under "uncertain" the ids you cannot confirm or rule out from the \
thumbnails; those are checked one at a time afterwards.
"""
)

_MATCH_SCHEMA: dict[str, Any] = {
    "name": "master_match",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {"match": {"type": "boolean"}, "confidence": {"type": "number"}},
        "required": ["match", "confidence"],
        "additionalProperties": False,
    },
}

_IDS = {"type": "array", "items": {"type": "string"}}
_PANEL_SCHEMA: dict[str, Any] = {
    "name": "panel_count",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {"panel_count": {"type": "integer"}, "matches": _IDS, "uncertain": _IDS},
        "required": ["panel_count", "matches", "uncertain"],
        "additionalProperties": False,
    },
}

_MATCH_RATE = 0.12
"""Share of (layout, master) pairs that match."""
_AMBIGUOUS_RATE = 0.2
"""Share of layouts whose panel count leaves some masters uncertain."""
_LAYOUT_RE = re.compile(r"^Layout (\S+):$")
_MASTER_RE = re.compile(r"^Master (\S+):$")


@dataclass(frozen=True, slots=True, kw_only=True)
class MatchVerdict:
    """The answer to one (layout, master) comparison."""

    match: bool
    """Whether the master appears on the layout."""
    confidence: float
    """How sure the model is, 0 to 1."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PanelCount:
    """The answer to one layout's panel-counting call."""

    panel_count: int
    """Panels seen on the layout."""
    matches: tuple[str, ...]
    """Masters surely on the layout."""
    uncertain: tuple[str, ...]
    """Masters that need a one-at-a-time check."""


# -- names and images ------------------------------------------------------------------------------


def layout_names(count: int) -> list[str]:
    """``layout_001.jpg``, ``layout_002.jpg``, ...: ``count`` layout file names."""
    return [f"layout_{i:03d}.jpg" for i in range(1, count + 1)]


def master_ids(count: int) -> list[str]:
    """``count`` distinct master ids such as ``1011A_1011_05`` (artwork, variant, family, panel)."""
    ids = []
    for i in range(count):
        artwork = 1011 + 7 * (i // 3)
        ids.append(f"{artwork}{'ABC'[i % 3]}_{artwork}_{(5 * i) % 12 + 1:02d}")
    return ids


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.cache
def png_data_url(width: int, height: int, shade: int) -> str:
    """A ``data:image/png`` URL of a plain grey ``width`` x ``height`` image (a few KB)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    row = b"\x00" + bytes([shade]) * width
    png = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(row * height, 9))
        + _png_chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _fraction(*parts: str) -> float:
    """A stable number in [0, 1) from ``parts``."""
    digest = hashlib.sha256(":".join(parts).encode()).hexdigest()
    return int(digest[:8], 16) / 2**32


def _shade(name: str) -> int:
    return 96 + int(_fraction("shade", name) * 128)


def _image_part(url: str, detail: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url, "detail": detail}}


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _layout_parts(layout_name: str) -> list[dict[str, Any]]:
    url = png_data_url(*LAYOUT_SIZE, _shade(layout_name))
    return [_text_part(f"Layout {layout_name}:"), _image_part(url, "high")]


def _master_parts(master_id: str, detail: str) -> list[dict[str, Any]]:
    url = png_data_url(*MASTER_SIZE, _shade(master_id))
    return [_text_part(f"Master {master_id}:"), _image_part(url, detail)]


# -- requests --------------------------------------------------------------------------------------


def pair_request(model: str, layout_name: str, master_id: str) -> dict[str, Any]:
    """The chat request comparing one layout with one master.

    The system prompt and the layout image come first, so every call for the same layout shares
    a prefix of more than 1024 tokens: the provider's prompt cache serves it from the second call.
    """
    content = [
        *_layout_parts(layout_name),
        *_master_parts(master_id, "high"),
        _text_part("Does the layout contain this master?"),
    ]
    return {
        "model": model,
        "messages": [
            {"role": "system", "content": PAIR_SYSTEM_PROMPT},
            {"role": "user", "content": content},
        ],
        "response_format": {"type": "json_schema", "json_schema": _MATCH_SCHEMA},
        "temperature": 0,
    }


def panel_request(model: str, layout_name: str, masters: tuple[str, ...]) -> dict[str, Any]:
    """The chat request counting one layout's panels against every master at once.

    The masters go first, as low-detail thumbnails, so the prefix is shared by every layout.
    """
    content = [_text_part(f"Master library ({len(masters)} masters):")]
    for master_id in masters:
        content += _master_parts(master_id, "low")
    content += [*_layout_parts(layout_name), _text_part("Count the panels of this layout.")]
    return {
        "model": model,
        "messages": [
            {"role": "system", "content": PANEL_SYSTEM_PROMPT},
            {"role": "user", "content": content},
        ],
        "response_format": {"type": "json_schema", "json_schema": _PANEL_SCHEMA},
        "temperature": 0,
    }


# -- answers ---------------------------------------------------------------------------------------


def parse_match(text: str | None) -> MatchVerdict | None:
    """Read a ``{"match": ..., "confidence": ...}`` answer; ``None`` if it is not one."""
    try:
        data = json.loads(text or "")
        return MatchVerdict(match=bool(data["match"]), confidence=float(data["confidence"]))
    except (ValueError, TypeError, KeyError):
        return None


def parse_panels(text: str | None, masters: tuple[str, ...]) -> PanelCount | None:
    """Read a panel-count answer, keeping only ids of ``masters``; ``None`` if it is not one."""
    known = set(masters)
    try:
        data = json.loads(text or "")
        return PanelCount(
            panel_count=int(data["panel_count"]),
            matches=tuple(m for m in data["matches"] if m in known),
            uncertain=tuple(m for m in data["uncertain"] if m in known),
        )
    except (ValueError, TypeError, KeyError):
        return None


def _is_match(layout_name: str, master_id: str) -> bool:
    return _fraction("match", layout_name, master_id) < _MATCH_RATE


def _uncertain(layout_name: str, masters: list[str]) -> list[str]:
    if _fraction("ambiguous", layout_name) >= _AMBIGUOUS_RATE:
        return []
    count = 2 + int(_fraction("how-many", layout_name) * 3)  # 2 to 4
    return sorted(masters, key=lambda m: _fraction("uncertain", layout_name, m))[:count]


def _texts(request: dict[str, Any]) -> list[str]:
    texts = []
    for message in request.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and part.get("type") == "text":
                texts.append(str(part.get("text", "")))
    return texts


def demo_responder(request: dict[str, Any]) -> str:
    """Answer the demo's requests as a vision model would, deterministically.

    The layout and master ids are read from the request's text parts. About 12% of the pairs
    match; about 20% of the layouts (decided by a hash of the layout name) leave 2 to 4 masters
    uncertain in the panel count, and those layouts fall back to one-at-a-time checks.

    Args:
        request: The chat completion request body.

    Returns:
        The JSON answer text.
    """
    texts = _texts(request)
    layouts = [m.group(1) for t in texts if (m := _LAYOUT_RE.match(t))]
    masters = [m.group(1) for t in texts if (m := _MASTER_RE.match(t))]
    layout = layouts[0] if layouts else ""
    schema_name = ((request.get("response_format") or {}).get("json_schema") or {}).get("name")
    if schema_name == "panel_count":
        uncertain = _uncertain(layout, masters)
        matches = [m for m in masters if _is_match(layout, m) and m not in uncertain]
        extra = int(_fraction("unlisted", layout) * 3)
        answer: dict[str, Any] = {
            "panel_count": len(matches) + len(uncertain) + extra,
            "matches": matches,
            "uncertain": uncertain,
        }
    else:
        master = masters[0] if masters else ""
        confidence = round(0.8 + 0.19 * _fraction("confidence", layout, master), 2)
        answer = {"match": _is_match(layout, master), "confidence": confidence}
    return json.dumps(answer, separators=(",", ":"))
