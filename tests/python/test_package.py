"""The package's public surface: the names users import from tinyml_lab.ir, and the npm
package (name and version) the widgets and the labextension ask for, as package.json has them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import tinyml_lab
from tinyml_lab import ir
from tinyml_lab.arrays import decode_array, encode_array
from tinyml_lab.readers import model_to_ir
from tinyml_lab.sweep_view import SweepView

ROOT = Path(__file__).resolve().parents[2]


def test_ir_module_still_exports_the_public_names():
    assert ir.model_to_ir is model_to_ir is tinyml_lab.model_to_ir
    assert ir.encode_array is encode_array and ir.decode_array is decode_array
    assert ir.IR_FORMAT == "tinyml-lab-ir" and ir.MAX_FEATURES == 32767
    values = np.arange(6, dtype=np.int16).reshape(2, 3)
    assert np.array_equal(ir.decode_array(ir.encode_array(values, "int16")), values)
    assert ir.check_features([[1, 2]], 2).dtype == np.float32 and ir.input_count({"n_features": 5}) == 5
    assert ir.average_path_length(np.array([2.0]))[0] == 1.0


def test_python_and_npm_package_agree():
    package = json.loads((ROOT / "package.json").read_text())
    assert tinyml_lab.__version__ == package["version"]
    widget = tinyml_lab.Inspector.class_traits()
    assert widget["_model_module"].default_value == package["name"]
    assert widget["_view_module_version"].default_value == f"^{package['version']}"
    assert tinyml_lab._jupyter_labextension_paths()[0]["dest"] == package["name"]
    for view in (tinyml_lab.FeatureView, SweepView):
        traits = view.class_traits()
        assert {k: traits[k].default_value for k in ("_model_module", "_view_module", "_model_module_version")} == {
            "_model_module": package["name"], "_view_module": package["name"],
            "_model_module_version": f"^{package['version']}"}
