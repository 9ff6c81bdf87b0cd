"""What the kernel sends an Inspector for a large forest: widget state bytes before packing (each
array's bytes as one binary buffer) and packed (tinyml_lab.packed_state), per array group, with
the time to pack. Counted as ui-tests/tests/inspector-large.spec.ts counts them: the JSON of
``_remove_buffers(w.get_state())`` plus its buffers.

    python bench/widget_state.py               # digits, 500 trees: max_depth=8 and fully grown
    python bench/widget_state.py --trees 100
"""

from __future__ import annotations

import argparse
import base64
import json
import time
from typing import Any

from ipywidgets.widgets.widget import _remove_buffers
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier

import tinyml_lab
from tinyml_lab.packed_state import pack_arrays, unpack_arrays


def _before_packing(value: Any) -> Any:
    """The state as sent before packing: each encoded array's bytes as one buffer."""
    if isinstance(value, dict):
        if isinstance(value.get("data"), str) and "dtype" in value:
            return {**value, "data": memoryview(base64.b64decode(value["data"]))}
        return {k: _before_packing(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_before_packing(v) for v in value]
    return value


def _sent(state: dict[str, Any]) -> int:
    json_part, _paths, buffers = _remove_buffers(state)
    return len(json.dumps(json_part)) + sum(b.nbytes for b in buffers)


def _group_bytes(group: dict[str, Any]) -> int:
    return sum(v.nbytes for v in group.values() if isinstance(v, memoryview))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", type=int, default=500)
    args = parser.parse_args()
    X, y = load_digits(return_X_y=True)
    for depth in (8, None):
        model = RandomForestClassifier(n_estimators=args.trees, max_depth=depth, random_state=0, n_jobs=1)
        model.fit(X[:1400], y[:1400])
        w = tinyml_lab.inspect(model, X[1400:1760], y[1400:1760], name="digits")
        nodes = sum(tree.tree_.node_count for tree in model.estimators_)
        state = w.get_state()
        before = _sent({**state, "ir": _before_packing(w.ir), "data": _before_packing(w.data)})
        started = time.perf_counter()
        packed = pack_arrays(w.ir)
        pack_s = time.perf_counter() - started
        started = time.perf_counter()
        assert unpack_arrays(packed) == w.ir
        unpack_s = time.perf_counter() - started
        print(f"digits, {args.trees} trees, max_depth={depth}: {nodes:,} nodes; widget state "
              f"{before / 1e6:.2f} MB before packing, {_sent(state) / 1e6:.2f} MB packed "
              f"(IR packed in {pack_s:.2f} s, unpacked in Python in {unpack_s:.2f} s)")
        for group in packed["groups"]:
            codec = f"palette, {group['index_dtype']} index" if "palette" in group else "plain"
            print(f"  {group['key']:15s} {group['dtype']:8s} {group['count']:>10,} elements  "
                  f"{_group_bytes(group):>10,} B  {codec}")
        print(f"  {'layout (JSON)':15s} {'':8s} {'':>10s}           {packed['layout'].nbytes:>10,} B")


if __name__ == "__main__":
    main()
