"""The widget state's arrays, packed small: how the kernel sends an IR and test rows to the browser.

A 500-tree forest's IR is 11 MB of array bytes; packed it is about a tenth of that. Packing is
lossless (every element keeps its exact bits, NaN payloads and -0.0 included), so the browser
reads back the very IR the kernel holds. src/widgets/buffers.ts (``unpackArrays``) reads this
form, and still reads the form sent before it (each array's bytes as one binary buffer).

The packed form of a JSON value holding IR arrays (``{"dtype", "shape", "data"}``)::

    {"packed": PACKED_FORMAT,
     "layout": deflate(JSON of the value, each array replaced by
                       {"dtype", "shape", "data": {"group": g, "offset": first element}}),
     "groups": [{"key", "dtype", "count", "data": deflate(elements)}               # plain
                or {"key", "dtype", "count", "index_dtype", "palette": deflate(distinct elements),
                    "index": deflate(each element's place in the palette)}]}   # palette

Arrays under the same key with the same dtype (every tree's ``value``, every tree's
``threshold``) share a group, named by its ``key`` for people reading the state, so deflate
sees alike bytes side by side (one stream for all trees' values is 16% smaller than one per
tree). A group with at most 65,536 distinct elements, wider than its index would be, is
palette-coded: a forest's class fractions repeat (1.05 M values, 26 k distinct), and their
two-byte places deflate to 0.78 MB against 1.21 MB for the deflated doubles. "deflate" is the
zlib format, as ``zlib.compress`` writes it and the browser's ``DecompressionStream('deflate')``
reads it.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

import numpy as np

from .arrays import _DTYPES, IRArray

#: The marker of the packed form; src/widgets/buffers.ts refuses any other, naming both.
PACKED_FORMAT = "tinyml-lab packed arrays 1"

#: zlib's level: the 500-tree digits forest's IR packs to 1.12 MB in 0.38 s at 6, 1.20 MB in 0.26 s at 3,
#: 1.31 MB in 0.25 s at 1 (the kernel packs before the Inspector shows: time counts more than 7%).
_LEVEL = 3

#: The index types of a palette (unsigned, little-endian), narrowest first, by their names in the packed form.
#: More distinct values than a two-byte index holds are sent plain: such a palette would save little.
_INDEX_DTYPES = {"uint8": np.dtype("<u1"), "uint16": np.dtype("<u2")}


def _is_encoded_array(value: dict[str, Any]) -> bool:
    return value.get("dtype") in _DTYPES and isinstance(value.get("shape"), list) and "data" in value


def _array_bytes(value: dict[str, Any] | IRArray) -> bytes:
    """The little-endian bytes of an encoded array (base64 text or bytes) or of an IRArray."""
    if isinstance(value, IRArray):
        return value.array.tobytes()
    data = value["data"]
    return base64.b64decode(data) if isinstance(data, str) else bytes(data)


class _Groups:
    """The arrays met so far, one list of byte strings per (key, dtype)."""

    def __init__(self) -> None:
        self.index: dict[tuple[str, str], int] = {}
        self.keys: list[str] = []
        self.dtypes: list[str] = []
        self.parts: list[list[bytes]] = []
        self.counts: list[int] = []

    def add(self, key: str, dtype: str, data: bytes) -> dict[str, int]:
        """Appends an array's bytes to its group; returns where it lies there."""
        group = self.index.setdefault((key, dtype), len(self.dtypes))
        if group == len(self.dtypes):
            self.keys.append(key)
            self.dtypes.append(dtype)
            self.parts.append([])
            self.counts.append(0)
        width = np.dtype(_DTYPES[dtype]).itemsize
        if len(data) % width:
            raise ValueError(f"array under {key!r} has {len(data)} bytes, not a whole number of {dtype} elements")
        offset = self.counts[group]
        self.parts[group].append(data)
        self.counts[group] += len(data) // width
        return {"group": group, "offset": offset}


def _layout(value: Any, groups: _Groups, key: str = "") -> Any:
    """``value`` with each array replaced by its place in ``groups`` (its bytes go there)."""
    if isinstance(value, IRArray):
        return {"dtype": value.dtype, "shape": list(value.array.shape),
                "data": groups.add(key, value.dtype, _array_bytes(value))}
    if isinstance(value, dict):
        if _is_encoded_array(value):
            return {**value, "data": groups.add(key, value["dtype"], _array_bytes(value))}
        return {k: _layout(item, groups, k) for k, item in value.items()}
    if isinstance(value, list):
        return [_layout(item, groups, key) for item in value]
    return value


def _pack_group(key: str, dtype: str, data: bytes, count: int) -> dict[str, Any]:
    """One group's elements: palette-coded when they have at most 65,536 distinct values and an
    index is narrower than an element, else plain."""
    width = np.dtype(_DTYPES[dtype]).itemsize
    if width > 1 and count > 0:
        # distinct bit patterns (not values): NaN payloads and -0.0 stay what they were. Sorting
        # the elements and looking each up in the palette is 4x faster than np.unique's
        # return_inverse (an argsort): 56 against 223 ms for a 500-tree forest's 1.05 M values.
        elements = np.frombuffer(data, dtype=f"<u{width}")
        palette = np.unique(elements)
        places = np.searchsorted(palette, elements)
        index_dtype = next((name for name, t in _INDEX_DTYPES.items() if len(palette) <= 1 << (8 * t.itemsize)), None)
        if index_dtype is not None and _INDEX_DTYPES[index_dtype].itemsize < width:
            return {"key": key, "dtype": dtype, "count": count, "index_dtype": index_dtype,
                    "palette": memoryview(zlib.compress(palette.astype(f"<u{width}").tobytes(), _LEVEL)),
                    "index": memoryview(zlib.compress(places.astype(_INDEX_DTYPES[index_dtype]).tobytes(), _LEVEL))}
    return {"key": key, "dtype": dtype, "count": count, "data": memoryview(zlib.compress(data, _LEVEL))}


def pack_arrays(value: Any) -> Any:
    """The packed form of ``value`` (see the module's docstring); ``value`` itself when it
    holds no array."""
    groups = _Groups()
    layout = _layout(value, groups)
    if not groups.dtypes:
        return value
    return {
        "packed": PACKED_FORMAT,
        "layout": memoryview(zlib.compress(json.dumps(layout, separators=(",", ":")).encode(), _LEVEL)),
        "groups": [_pack_group(key, dtype, b"".join(parts), count)
                   for key, dtype, parts, count in zip(groups.keys, groups.dtypes, groups.parts, groups.counts)],
    }


def is_packed(value: Any) -> bool:
    return isinstance(value, dict) and "packed" in value and "layout" in value


def _unpack_group(group: dict[str, Any]) -> bytes:
    width = np.dtype(_DTYPES[group["dtype"]]).itemsize
    if "palette" in group:
        palette = np.frombuffer(zlib.decompress(group["palette"]), dtype=f"<u{width}")
        places = np.frombuffer(zlib.decompress(group["index"]), dtype=_INDEX_DTYPES[group["index_dtype"]])
        data = palette[places].tobytes()
    else:
        data = zlib.decompress(group["data"])
    if len(data) != group["count"] * width:
        raise ValueError(f"a packed {group['dtype']} group holds {len(data)} bytes, expected {group['count']} elements")
    return data


def unpack_arrays(packed: Any) -> Any:
    """Inverse of pack_arrays, with each array's data as base64 text (the IR's JSON form)."""
    if not is_packed(packed):
        return packed
    if packed["packed"] != PACKED_FORMAT:
        raise ValueError(f"widget state packed as {packed['packed']!r}; this version reads {PACKED_FORMAT!r}")
    groups = [(_unpack_group(g), np.dtype(_DTYPES[g["dtype"]]).itemsize) for g in packed["groups"]]

    def restore(value: Any) -> Any:
        if isinstance(value, dict):
            place = value.get("data")
            if _is_encoded_array(value) and isinstance(place, dict):
                data, width = groups[place["group"]]
                start = place["offset"] * width
                size = int(np.prod(value["shape"], dtype=np.int64)) * width
                return {**value, "data": base64.b64encode(data[start:start + size]).decode("ascii")}
            return {k: restore(item) for k, item in value.items()}
        if isinstance(value, list):
            return [restore(item) for item in value]
        return value

    return restore(json.loads(zlib.decompress(packed["layout"])))


__all__ = ["PACKED_FORMAT", "is_packed", "pack_arrays", "unpack_arrays"]
