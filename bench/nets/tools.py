"""The on-device exporters under comparison. Each one writes the generated model code plus a
small `bench_predict.c` wrapper into a directory; every wrapper has the same signature,

    int32_t bench_predict(const float *x);   /* class index, x = one flattened test row */

so the flash, RAM, host and QEMU measurements (bench/common/measure.py) treat all tools
identically. The wrapper is part of what is measured.

An exporter returns a dict of what it knows about the code it wrote ("arena": the scratch
bytes the tool declares for activations); it raises when the tool cannot handle the model,
and the run prints SKIPPING with the reason."""
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from measure import missing_module  # bench/common: on the path run.py sets up

WRAPPER = "bench_predict.c"


@dataclass
class Tool:
    name: str
    export: Callable  # (case, directory) -> dict; writes WRAPPER
    missing: Optional[str] = None  # why the tool cannot run here at all, or None


def _write_wrapper(directory: Path, includes: str, body: str) -> None:
    (directory / WRAPPER).write_text(
        f"#include <stdint.h>\n{includes}\n\nint32_t bench_predict(const float *x)\n{{\n{body}\n}}\n"
    )


# ---- TinyML Lab ----------------------------------------------------------------------------
def _tinyml_exporter(dtype: str):
    """tinyml_lab.convert(model, name="m", dtype=...), int8 calibrated on the case's
    calibration rows (the first 500 training rows). m_predict puts its arena of
    M_ARENA_BYTES on the stack, so the firmware's stack measurement includes it."""

    def export(case, directory: Path) -> dict:
        import tinyml_lab

        options = {"calibration": case.calibration} if dtype == "int8" else {}
        converted = tinyml_lab.convert(case.model, name="m", dtype=dtype, **options)
        converted.save(str(directory / "model.h"))
        _write_wrapper(directory, '#include "model.h"', "    return m_predict(x);")
        arena = re.search(r"^#define M_ARENA_BYTES (\d+)", converted.header, re.M)
        return {"arena": int(arena.group(1)) if arena else None}

    return export


# ---- emlearn -------------------------------------------------------------------------------
def _emlearn_export(case, directory: Path) -> dict:
    """emlearn.convert(model) with its default ("loadable") method: weight tables, an EmlNet
    struct and two static float buffers of the widest layer, run by eml_net.h. Its Keras
    reader takes Sequential models of Dense/activation/Dropout layers only. The wrapper
    calls m_predict(x, n_features); emlearn's headers are copied beside the model, so the
    runtime is compiled into the same object and counted as model flash."""
    import emlearn

    converted = emlearn.convert(case.model)  # raises NotImplementedError for Conv1D etc.
    converted.save(name="m", file=str(directory / "model.h"))
    include = Path(emlearn.includedir)
    for header in include.glob("eml_*.h"):
        shutil.copy(header, directory / header.name)
    _write_wrapper(directory, '#include "model.h"', f"    return m_predict(x, {case.rows.shape[1]});")
    widths = [w.shape[0] for w in converted.weights] + [w.shape[1] for w in converted.weights]
    return {"arena": 2 * 4 * max(widths)}  # m_buf1 + m_buf2, float[max width] each


def all_tools() -> list:
    return [
        Tool("tinyml-f32", _tinyml_exporter("float32"), missing_module("tinyml_lab")),
        Tool("tinyml-i8", _tinyml_exporter("int8"), missing_module("tinyml_lab")),
        Tool("emlearn", _emlearn_export, missing_module("emlearn")),
    ]


# TensorFlow Lite Micro cannot be built here: see README.md ("TensorFlow Lite Micro").
TFLM_SKIP_REASON = (
    "no TFLM C++ sources from the registries this workplace reaches (PyPI's tflite-micro is a "
    "prebuilt x86-64 Python extension with no sdist, Debian packages no TFLM); the int8 table "
    "runs that host build (TFLM's interpreter and reference kernels) when the TensorFlow venv has it"
)
