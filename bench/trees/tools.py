"""The exporters under comparison for scikit-learn trees and forests: TinyML Lab's and
m2cgen's come from bench/common/classifier_tools.py (bench/boosting uses them too), emlearn's
is here. Each writes the generated code and the `bench_predict.c` wrapper of
classifier_bench.py, so the measurements treat all tools identically."""
from pathlib import Path

from classifier_bench import Tool, write_wrapper  # bench/common: on the path run.py sets up
from classifier_tools import FLOAT_BITS, is_regressor, m2cgen_export, tinyml_exporter
from measure import missing_module


# ---- emlearn -------------------------------------------------------------------------------
def _emlearn_export(model, directory: Path) -> None:
    """emlearn's 'inline' method (trees as if/else code) with float features. Its default
    dtype is int16_t, which would truncate these real-valued features, and its table-driven
    'loadable' method only supports int16_t, so inline+float is the comparable setting.
    leaf_bits stays at emlearn's default (0: each tree votes for one class)."""
    import emlearn

    converted = emlearn.convert(model, method="inline", dtype="float")
    converted.save(name="m", file=str(directory / "model.h"), include_proba=False)
    if is_regressor(model):  # emlearn: float m_predict(x, n), the mean of the trees' leaves
        body = f"    float y = m_predict(x, {model.n_features_in_});\n{FLOAT_BITS}"
        write_wrapper(directory, '#include <string.h>\n#include "model.h"', body)
        return
    write_wrapper(
        directory, '#include "model.h"', f"    return m_predict(x, {model.n_features_in_});"
    )


def all_tools() -> list:
    return [
        Tool("tinyml-f32", tinyml_exporter("float32"), missing_module("tinyml_lab")),
        Tool("tinyml-i16", tinyml_exporter("int16"), missing_module("tinyml_lab")),
        Tool("tinyml-f32-inline", tinyml_exporter("float32", "inline"), missing_module("tinyml_lab")),
        Tool("tinyml-i16-inline", tinyml_exporter("int16", "inline"), missing_module("tinyml_lab")),
        Tool("tinyml-i8", tinyml_exporter("int8"), missing_module("tinyml_lab")),
        Tool("tinyml-i8-inline", tinyml_exporter("int8", "inline"), missing_module("tinyml_lab")),
        Tool("emlearn", _emlearn_export, missing_module("emlearn")),
        Tool("m2cgen", m2cgen_export, missing_module("m2cgen")),
    ]
