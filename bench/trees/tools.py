"""The exporters under comparison. Each one writes the generated model code plus a small
`bench_predict.c` wrapper into a directory; every wrapper has the same signature,

    int32_t bench_predict(const float *x);   /* class index into model.classes_ */

so the flash, host and QEMU measurements treat all tools identically. The wrapper is part
of what is measured (it is where each tool's calling convention is adapted, e.g. m2cgen's
double inputs and probability output)."""
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from measure import missing_module  # bench/common: on the path run.py sets up

WRAPPER = "bench_predict.c"


@dataclass
class Tool:
    name: str
    export: Callable[[object, Path], None]  # (fitted model, directory) -> writes WRAPPER
    missing: Optional[str] = None  # why the tool cannot run here, or None


def _write_wrapper(directory: Path, includes: str, body: str) -> None:
    (directory / WRAPPER).write_text(
        f"#include <stdint.h>\n{includes}\n\nint32_t bench_predict(const float *x)\n{{\n{body}\n}}\n"
    )


# ---- TinyML Lab ----------------------------------------------------------------------------
def _tinyml_exporter(dtype: str, strategy: str = "tables"):
    def export(model, directory: Path) -> None:
        import tinyml_lab

        tinyml_lab.convert(model, name="m", dtype=dtype, strategy=strategy).save(str(directory / "model.h"))
        _write_wrapper(directory, '#include "model.h"', "    return m_predict(x);")

    return export


# ---- emlearn -------------------------------------------------------------------------------
def _emlearn_export(model, directory: Path) -> None:
    """emlearn's 'inline' method (trees as if/else code) with float features. Its default
    dtype is int16_t, which would truncate these real-valued features, and its table-driven
    'loadable' method only supports int16_t, so inline+float is the comparable setting.
    leaf_bits stays at emlearn's default (0: each tree votes for one class)."""
    import emlearn

    converted = emlearn.convert(model, method="inline", dtype="float")
    converted.save(name="m", file=str(directory / "model.h"), include_proba=False)
    _write_wrapper(
        directory, '#include "model.h"', f"    return m_predict(x, {model.n_features_in_});"
    )


# ---- m2cgen --------------------------------------------------------------------------------
def _m2cgen_export(model, directory: Path) -> None:
    """m2cgen emits `void score(double *input, double *output)` with class probabilities; the
    wrapper widens the features to double and takes the first largest probability, which is
    what scikit-learn's predict does."""
    import m2cgen

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))  # deep forests recurse
    (directory / "model.c").write_text(m2cgen.export_to_c(model, function_name="score"))
    n_features, n_classes = model.n_features_in_, len(model.classes_)
    body = f"""    double input[{n_features}], output[{n_classes}];
    for (int i = 0; i < {n_features}; i++) input[i] = x[i];
    score(input, output);
    int32_t best = 0;
    for (int32_t k = 1; k < {n_classes}; k++)
        if (output[k] > output[best]) best = k;
    return best;"""
    _write_wrapper(directory, '#include "model.c"', body)


def all_tools() -> list:
    return [
        Tool("tinyml-f32", _tinyml_exporter("float32"), missing_module("tinyml_lab")),
        Tool("tinyml-i16", _tinyml_exporter("int16"), missing_module("tinyml_lab")),
        Tool("tinyml-f32-inline", _tinyml_exporter("float32", "inline"), missing_module("tinyml_lab")),
        Tool("tinyml-i16-inline", _tinyml_exporter("int16", "inline"), missing_module("tinyml_lab")),
        Tool("emlearn", _emlearn_export, missing_module("emlearn")),
        Tool("m2cgen", _m2cgen_export, missing_module("m2cgen")),
    ]
