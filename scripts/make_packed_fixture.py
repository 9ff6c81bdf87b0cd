"""Writes tests/fixtures/packed_state.json: widget state packed by tinyml_lab.packed_state, so the
jest suite checks that the browser unpacks exactly what Python packed (tests/js/packedState.test.ts),
and pytest that the file still unpacks to its sources (tests/python/test_packed_state.py).

Each entry is stored as a notebook stores widget state: the JSON part, the buffers' paths and
the buffers in base64. The entries:
- "golden": the IR of every golden case (tests/fixtures/golden/cases.json), one per distinct IR,
  by the first case's name: every model family's arrays;
- "edge": arrays of every IR dtype holding what must keep its bits (NaN with payloads, infinities,
  -0.0, subnormals, extremes), empty and 2-D shapes, and text in several scripts; its value is
  stored too (EDGE below makes it again).

Re-run after changing the packed form or the golden cases' IRs:

    python scripts/make_packed_fixture.py
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
from ipywidgets.widgets.widget import _remove_buffers

from tinyml_lab.arrays import encode_array
from tinyml_lab.packed_state import PACKED_FORMAT, pack_arrays

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "packed_state.json"
GOLDEN = ROOT / "tests" / "fixtures" / "golden" / "cases.json"


def _bit_patterns(dtype: str, *patterns: int) -> np.ndarray:
    """Floats given by their bits: NaNs with payloads, which arithmetic would not make."""
    unsigned = {"float64": "<u8", "float32": "<u4"}[dtype]
    return np.array(patterns, dtype=unsigned).view(dtype)


def edge_value() -> dict[str, Any]:
    """The edge case (seeded): what a lossless packing must give back bit for bit."""
    rng = np.random.default_rng(18)
    special64 = np.concatenate([
        [np.nan, -np.nan, np.inf, -np.inf, -0.0, 0.0, 5e-324, -5e-324],
        [np.finfo(np.float64).max, np.finfo(np.float64).tiny],
        _bit_patterns("float64", 0x7FF0000000000001, 0x7FF8DEADBEEF0001, 0xFFF0000000000123),
    ])
    special32 = np.concatenate([
        np.array([np.nan, -np.inf, np.inf, -0.0, 1e-45, np.finfo(np.float32).max], dtype=np.float32),
        _bit_patterns("float32", 0x7F800001, 0xFFC00ABC),
    ])
    fractions = rng.integers(0, 9, 600) / 7.0  # few distinct values: a one-byte palette index
    many = np.round(rng.standard_normal(900), 3)  # hundreds of distinct values: a two-byte index
    return {
        "name": "edge cases ✓ — модель 模型",
        "nested": [{"a": None, "b": [1, 2.5, True, "x"]}, []],
        "trees": [
            {
                "threshold": encode_array(np.concatenate([special64, fractions[:20]]), "float64"),
                "value": encode_array(np.concatenate([fractions, special64]).reshape(-1, 1), "float64"),
                "feature": encode_array(np.array([-2147483648, 2147483647, -1, 0, 7]), "int32"),
            },
            {
                "threshold": encode_array(many, "float64"),
                "value": encode_array(many[:600].reshape(60, 10), "float64"),
                "feature": encode_array(np.zeros(0), "int32"),
            },
        ],
        "weights": encode_array(np.concatenate([special32, rng.standard_normal(50).astype(np.float32)]), "float32"),
        "matrix": encode_array(rng.integers(-9, 9, (4, 0)), "float32"),
        "codes": encode_array(np.array([-32768, 32767, 0, -1]), "int16"),
        "flags": encode_array(rng.integers(0, 2, 33), "uint8"),
        "bits": encode_array(np.array([0, 1, 2**32 - 1, 2**31]), "uint32"),
        # a dict that only looks like an array in part stays as it is
        "options": {"dtype": "float32", "strategy": "tables"},
    }


def stored(value: Any) -> dict[str, Any]:
    """The packed form of ``value`` as a notebook stores widget state."""
    state, paths, buffers = _remove_buffers({"value": pack_arrays(value)})
    return {"state": state["value"], "buffer_paths": [path[1:] for path in paths],
            "buffers": [base64.b64encode(bytes(buffer)).decode("ascii") for buffer in buffers]}


def main() -> None:
    golden: dict[str, Any] = {}
    seen: set[str] = set()
    for case in json.loads(GOLDEN.read_text()):
        key = json.dumps(case["ir"], sort_keys=True)
        if key not in seen:
            seen.add(key)
            golden[case["name"]] = stored(case["ir"])
    edge = edge_value()
    fixture = {"format": PACKED_FORMAT, "golden": golden, "edge": {"value": edge, "packed": stored(edge)}}
    OUT.write_text(json.dumps(fixture, indent=0, sort_keys=True) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(golden)} golden IRs)")


if __name__ == "__main__":
    main()
