"""The headless API and the widget's kernel side: same compiler, same header."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier

import tinyml_lab
from tinyml_lab.arrays import decode_array


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    model = RandomForestClassifier(n_estimators=8, random_state=0).fit(X[::2], y[::2])
    return model, X[1::2], y[1::2]


def test_headless_convert_needs_no_node_or_browser(tmp_path):
    """Runs in a child process whose PATH holds nothing: no node, no chromium."""
    code = (
        "from sklearn.datasets import load_iris\n"
        "from sklearn.tree import DecisionTreeClassifier\n"
        "import tinyml_lab\n"
        "X, y = load_iris(return_X_y=True)\n"
        "m = DecisionTreeClassifier(random_state=0).fit(X, y)\n"
        "tinyml_lab.convert(m, name='iris').save('iris.h')\n"
        "print(tinyml_lab.evaluate(m, X, y).label_agreement)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PATH", "NODE_PATH")}
    env["PATH"] = str(tmp_path / "empty-bin")
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    # timeout: the process must also exit (V8 is closed at interpreter exit)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1.0"
    assert "static inline int32_t iris_predict(const float *x)" in (tmp_path / "iris.h").read_text()


def test_widget_and_headless_write_the_same_header(wine, tmp_path):
    model, X_test, y_test = wine
    w = tinyml_lab.inspect(model, X_test, y_test, name="wine")
    a = w.export_header(tmp_path / "from_widget.h")
    b = tinyml_lab.convert(model, name="wine").save(tmp_path / "headless.h")
    assert Path(a).read_text() == Path(b).read_text()
    assert w.export_status.startswith("wrote ")
    # save() without a path writes <name>.h in the working directory
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        assert tinyml_lab.convert(model, name="wine").save() == "wine.h"
    finally:
        os.chdir(cwd)


def test_widget_traits_carry_ir_data_and_reference(wine):
    model, X_test, y_test = wine
    w = tinyml_lab.inspect(model, X_test, y_test)
    assert w.ir["estimator"] == "sklearn.ensemble.RandomForestClassifier"
    assert w.options == {"name": "model", "featureType": "float32", "standalone": True, "strategy": "tables",
                         "leafType": "float32", "target": "cortex-m4f"}
    x = decode_array(w.data["x"])
    assert x.dtype == np.float32 and x.shape == X_test.shape
    ref = w.data["reference"]
    np.testing.assert_array_equal(model.classes_[decode_array(ref["classes"])], model.predict(x))
    np.testing.assert_array_equal(model.classes_[decode_array(ref["truth"])], y_test)
    assert w.agreement == {}  # filled in by the browser
    assert w._view_module == "tinyml-lab" and w._view_name == "InspectorView"
    # the verdict, and strategy="auto", answer for Cortex-M4F unless asked for another target
    assert w.target == "cortex-m4f"
    on_avr = tinyml_lab.inspect(model, X_test, y_test, strategy="auto", target="avr")
    assert on_avr.target == on_avr.options["target"] == "avr"
    assert on_avr.converted().auto_choice.startswith("auto chose inline for AVR: ")


def test_widget_sends_arrays_packed_in_binary_buffers(wine):
    """The IR's and the rows' arrays travel packed beside the JSON (tinyml_lab.packed_state), not
    as base64 inside it; the Python traits keep the IR's base64 form, and what the browser sends
    back is read in the packed form and in the form sent before packing."""
    from ipywidgets.widgets.widget import _remove_buffers

    from tinyml_lab.packed_state import PACKED_FORMAT
    from tinyml_lab.widget import _arrays_as_buffers, _arrays_from_buffers
    model, X_test, y_test = wine
    w = tinyml_lab.inspect(model, X_test, y_test)
    state, paths, buffers = _remove_buffers(w.get_state())
    ir_bytes = sum(decode_array(t[key]).nbytes for t in w.ir["trees"] for key in t if isinstance(t[key], dict))
    assert state["ir"]["packed"] == state["data"]["packed"] == PACKED_FORMAT
    assert sum(b.nbytes for b, path in zip(buffers, paths) if path[0] == "ir") < ir_bytes / 2
    assert '"data": "' not in json.dumps(state)  # no base64 left
    assert _arrays_from_buffers(_arrays_as_buffers(w.ir)) == w.ir
    assert _arrays_from_buffers(_arrays_as_buffers(w.data)) == w.data
    before_packing = {"x": {**w.data["x"], "data": memoryview(base64.b64decode(w.data["x"]["data"]))}}
    assert _arrays_from_buffers(before_packing) == {"x": w.data["x"]}
    assert isinstance(w.ir["trees"][0]["threshold"]["data"], str)


def test_widget_display_data_says_which_widget_it_is(wine):
    """Reopened without its kernel, the browser finds this key and says "run the cell again"."""
    from pathlib import Path

    from tinyml_lab._widget_base import RECONNECT_MIMETYPE
    model, X_test, y_test = wine
    bundle = tinyml_lab.inspect(model, X_test, y_test)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle[RECONNECT_MIMETYPE] == {"widget": "Inspector"}
    source = (Path(__file__).parents[2] / "src" / "reconnect.ts").read_text()
    assert f"RECONNECT_MIMETYPE = '{RECONNECT_MIMETYPE}'" in source


def test_widget_export_message_and_feature_type_change(wine, tmp_path):
    model, X_test, y_test = wine
    w = tinyml_lab.inspect(model, X_test, y_test, name="wine")
    w.options = {**w.options, "featureType": "int16"}  # as the browser's dtype menu does
    target = tmp_path / "q.h"
    w._handle_message(w, {"event": "export", "path": str(target)}, [])
    assert "int16_t wine_split_threshold" in target.read_text()
    w._handle_message(w, {"event": "export", "path": str(tmp_path / "missing" / "dir" / "x.h")}, [])
    assert w.export_status.startswith("export failed:")
    with pytest.raises(ValueError, match="dtype must be one of"):
        w.options = {**w.options, "featureType": "int3"}
    inline = tinyml_lab.inspect(model, X_test, y_test, name="wine", strategy="inline")
    assert "wine_tree_leaf" in Path(inline.export_header(tmp_path / "inline.h")).read_text()


def test_report_text(wine):
    model, X_test, y_test = wine
    report = tinyml_lab.evaluate(model, X_test, y_test)
    text = str(report)
    assert "label agreement 100.00%" in text
    assert report.confusion is not None and sum(map(sum, report.confusion)) == len(X_test)
    assert report.device_accuracy == report.reference_accuracy


def test_converted_model_summary(wine):
    model, _, _ = wine
    converted = tinyml_lab.convert(model)
    assert converted.structure["nTrees"] == 8
    leaf_bytes = sum(item["bytes"] for item in converted.size["flash"] if item["name"] == "leaf values")
    assert converted.flash_bytes > leaf_bytes
    assert "~" in repr(converted)


def test_deep_big_forest_compiles_without_recursion_limits(run_header):
    """500 trees of depth 20: iterative walks everywhere (IR check, lowering, structure)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 6))
    y = (np.sin(3 * X[:, 0]) + X[:, 1] * X[:, 2] + rng.normal(scale=0.3, size=3000) > 0).astype(int)
    model = RandomForestClassifier(n_estimators=500, max_depth=20, random_state=0, n_jobs=2).fit(X, y)
    converted = tinyml_lab.convert(model)
    assert max(converted.structure["depthPerTree"]) >= 15
    out = run_header(converted.header, X[:300])
    np.testing.assert_array_equal(model.classes_[out[:, 0].astype(int)], model.predict(X[:300].astype(np.float32)))
