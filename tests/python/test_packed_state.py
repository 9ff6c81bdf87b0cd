"""The widget state's packed arrays (tinyml_lab.packed_state): lossless for every family's IR and
for the values floats keep only by their bits, small for a large forest, and the fixture the jest
suite unpacks (tests/fixtures/packed_state.json) still what Python packs today."""

from __future__ import annotations

import base64
import json
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from ipywidgets.widgets.widget import _put_buffers, _remove_buffers

from tinyml_lab.arrays import decode_array, encode_array
from tinyml_lab.packed_state import PACKED_FORMAT, is_packed, pack_arrays, unpack_arrays

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from make_packed_fixture import edge_value  # noqa: E402

FIXTURE = json.loads((ROOT / "tests" / "fixtures" / "packed_state.json").read_text())
GOLDEN_CASES = json.loads((ROOT / "tests" / "fixtures" / "golden" / "cases.json").read_text())
GOLDEN = {case["name"]: case["ir"] for case in GOLDEN_CASES}
REGENERATE = "the packed fixture is stale: run python scripts/make_packed_fixture.py"


def _from_notebook(stored: dict) -> dict:
    """A packed state as the fixture stores it (as a notebook does), with its buffers put back."""
    state = {"value": json.loads(json.dumps(stored["state"]))}
    _put_buffers(state, [["value", *path] for path in stored["buffer_paths"]],
                 [memoryview(base64.b64decode(b)) for b in stored["buffers"]])
    return state["value"]


def _sent_bytes(packed: dict) -> int:
    _state, _paths, buffers = _remove_buffers({"value": packed})
    return len(json.dumps(_state)) + sum(b.nbytes for b in buffers)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_every_golden_ir_round_trips(name):
    """Every family's arrays (trees, networks, gaussians, SVMs, neighbours, feature stages)."""
    ir = GOLDEN[name]
    packed = pack_arrays(ir)
    assert is_packed(packed) and packed["packed"] == PACKED_FORMAT
    assert unpack_arrays(packed) == ir


def test_edge_values_keep_their_bits():
    """NaN payloads, -0.0, infinities and subnormals come back bit for bit: the palette is of
    bit patterns, not of values (np.unique on the floats would merge -0.0 with 0.0 and the NaNs)."""
    value = edge_value()
    back = unpack_arrays(pack_arrays(value))
    assert back == value
    threshold = np.frombuffer(base64.b64decode(back["trees"][0]["threshold"]["data"]), dtype="<u8")
    assert 0x7FF8DEADBEEF0001 in threshold.tolist() and 0x8000000000000000 in threshold.tolist()
    weights = np.frombuffer(base64.b64decode(back["weights"]["data"]), dtype="<u4")
    assert 0xFFC00ABC in weights.tolist()


def test_packing_uses_a_palette_where_values_repeat_and_plain_deflate_else():
    rng = np.random.default_rng(0)
    repeated = encode_array(rng.integers(0, 40, 5000) / 3.0, "float64")
    distinct = encode_array(np.arange(70000) * 0.25, "float64")  # too many for a two-byte index
    flags = encode_array(rng.integers(0, 2, 100), "uint8")
    packed = pack_arrays({"a": repeated, "b": distinct, "flags": flags})
    kinds = [(g["dtype"], g.get("index_dtype")) for g in packed["groups"]]
    assert kinds == [("float64", "uint8"), ("float64", None), ("uint8", None)]
    assert unpack_arrays(packed) == {"a": repeated, "b": distinct, "flags": flags}


def test_arrays_of_one_key_share_a_group_in_order():
    """Every tree's 'value' is one group, offsets counting elements: what buffers.ts reads."""
    trees = [{"value": encode_array(np.full((n, 2), n, dtype=float), "float64")} for n in (3, 1, 4)]
    packed = pack_arrays({"trees": trees})
    assert len(packed["groups"]) == 1 and packed["groups"][0]["count"] == 16
    layout = json.loads(zlib.decompress(packed["layout"]))
    assert [t["value"]["data"] for t in layout["trees"]] == [{"group": 0, "offset": o} for o in (0, 6, 8)]


def test_a_value_without_arrays_is_sent_as_it_is():
    assert pack_arrays({}) == {}
    assert pack_arrays({"options": {"dtype": "float32"}}) == {"options": {"dtype": "float32"}}


def test_another_version_is_refused_by_name():
    packed = {**pack_arrays({"x": encode_array(np.ones(3), "float32")}), "packed": "tinyml-lab packed arrays 2"}
    with pytest.raises(ValueError, match="packed arrays 2.*reads 'tinyml-lab packed arrays 1'"):
        unpack_arrays(packed)


def test_the_fixture_unpacks_to_its_sources():
    """tests/js/packedState.test.ts unpacks the same file in TypeScript and compares with the same
    sources; here Python checks the file is what it packs today and covers every codec."""
    assert FIXTURE["format"] == PACKED_FORMAT, REGENERATE
    for name, stored in FIXTURE["golden"].items():
        assert name in GOLDEN and unpack_arrays(_from_notebook(stored)) == GOLDEN[name], f"{name}: {REGENERATE}"
    assert len(FIXTURE["golden"]) == len({json.dumps(ir, sort_keys=True) for ir in GOLDEN.values()}), REGENERATE
    edge = _from_notebook(FIXTURE["edge"]["packed"])
    assert FIXTURE["edge"]["value"] == json.loads(json.dumps(edge_value())), REGENERATE
    assert unpack_arrays(edge) == edge_value()
    stored_states = [*FIXTURE["golden"].values(), FIXTURE["edge"]["packed"]]
    groups = [g for stored in stored_states for g in stored["state"]["groups"]]
    assert {g["dtype"] for g in groups} == {"float64", "float32", "int32", "int16", "uint8", "uint32"}
    assert {g.get("index_dtype") for g in groups} >= {None, "uint8", "uint16"}


def test_a_forest_state_is_a_tenth_of_its_arrays():
    """200 digits trees of depth 8: the Galata spec prints the 500-tree figure (1.16 MB of 11.35)."""
    from sklearn.datasets import load_digits
    from sklearn.ensemble import RandomForestClassifier

    from tinyml_lab.readers import model_to_ir
    X, y = load_digits(return_X_y=True)
    model = RandomForestClassifier(n_estimators=200, max_depth=8, random_state=0).fit(X[:1400], y[:1400])
    ir = model_to_ir(model)
    raw = sum(decode_array(tree[key]).nbytes for tree in ir["trees"] for key in tree if isinstance(tree[key], dict))
    assert _sent_bytes(pack_arrays(ir)) < raw / 8
