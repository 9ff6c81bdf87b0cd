"""The exporters under comparison for boosted trees. TinyML Lab's and m2cgen's come from
bench/common/classifier_tools.py; emlearn is asked too and its refusal is reported as such."""
from pathlib import Path

from classifier_bench import Tool, write_wrapper  # bench/common: on the path run.py sets up
from classifier_tools import m2cgen_export, tinyml_exporter
from measure import missing_module


def _emlearn_export(model, directory: Path) -> None:
    """emlearn's trees as inline float code, as in bench/trees, for whatever it accepts."""
    import emlearn

    try:
        converted = emlearn.convert(model, method="inline", dtype="float")
    except ValueError as error:  # emlearn's "Unknown model type: ..." is its refusal
        raise NotImplementedError(f"emlearn {emlearn.__version__}: {error}") from None
    converted.save(name="m", file=str(directory / "model.h"), include_proba=False)
    write_wrapper(directory, '#include "model.h"', f"    return m_predict(x, {model.n_features_in_});")


def all_tools() -> list:
    return [
        Tool("tinyml-f32", tinyml_exporter("float32"), missing_module("tinyml_lab")),
        Tool("tinyml-i16", tinyml_exporter("int16"), missing_module("tinyml_lab")),
        Tool("tinyml-f32-inline", tinyml_exporter("float32", "inline"), missing_module("tinyml_lab")),
        Tool("m2cgen", m2cgen_export, missing_module("m2cgen")),
        Tool("emlearn", _emlearn_export, missing_module("emlearn")),
    ]
