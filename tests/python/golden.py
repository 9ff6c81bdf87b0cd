"""What the compiler gives for one golden case (tests/fixtures/golden/cases.json), as hashes:
the header, its tables and public functions, size and target estimates, the structure summary,
the device outputs through WebAssembly and through gcc, and the export bundle's test vectors.
scripts/make_golden.py --record writes these; test_golden.py compares them."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from conftest import HARNESS, STRICT_FLAGS

from tinyml_lab import _engine
from tinyml_lab.arrays import decode_array, encode_array

# Lines that may change without a change of behaviour: the compiler version in the banners.
_VERSION = re.compile(r"TinyML Lab \d+\.\d+\.\d+")
_INCLUDE = Path(__file__).resolve().parents[2] / "c-runtime" / "include"
_RUNTIME_BLOCK = re.compile(r"/\* ---- TinyML Lab runtime.*?/\* ---- end of embedded runtime ---- \*/", re.S)


def _sha(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def normalized_header(header: str) -> str:
    """The header without the compiler version and without the embedded runtime (the runtime
    has its own tests, and how its files are split is not the model's behaviour)."""
    header = _VERSION.sub("TinyML Lab <version>", header)
    return _RUNTIME_BLOCK.sub("/* <embedded runtime> */", header)


def header_contract(header: str) -> dict[str, str]:
    """What a firmware project sees of a header: its macros, its const tables (name, type and
    every value) and its public function signatures."""
    body = _RUNTIME_BLOCK.sub("", header)
    macros = [line for line in body.splitlines() if line.startswith("#define ")]
    tables = re.findall(r"static const [^=(]*\[\d*\] = \{.*?\};", body, re.S)
    signatures = re.findall(r"static inline [^\n]*\)", body)
    return {"macros": _sha(macros), "tables": _sha(tables), "functions": _sha(signatures)}


def _run_gcc(header: str, rows: np.ndarray) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "model.h").write_text(header)
        (d / "main.c").write_text(HARNESS)
        subprocess.run(["gcc", *STRICT_FLAGS, "-I", str(_INCLUDE), "-o", str(d / "main"), str(d / "main.c"), "-lm"],
                       check=True, capture_output=True, text=True)
        np.ascontiguousarray(rows, dtype="<f4").tofile(d / "x.bin")
        return subprocess.run([str(d / "main"), str(d / "x.bin")], check=True, capture_output=True,
                              text=True).stdout


def observe(case: dict[str, Any]) -> dict[str, Any]:
    """Every observable result of compiling and running one case, hashed."""
    ir, options, x = case["ir"], case["options"], case["x"]
    compiled = _engine.call("compile", ir, options)
    header = compiled["header"]
    run = _engine.call("run", ir, options, {"x": x})
    estimate = _engine.call("estimate", ir, options, {})
    bundle = _engine.call("bundle", ir, options, {"x": x}) if options.get("standalone", True) else None
    result = {
        "header": _sha(normalized_header(header)),
        **{f"header_{k}": v for k, v in header_contract(header).items()},
        "strategy": compiled["strategy"],
        "size": _sha(compiled["size"]),
        "structure": _sha(compiled["structure"]),
        "tables": _sha(compiled["tables"]),
        "targets": _sha(estimate["estimates"]),
        # the engine gives numpy arrays back; hashed in the IR's encoded form, as recorded
        "device": _sha([encode_array(run["classes"], "int32"), encode_array(run["values"], "float32")]),
    }
    if bundle:
        result["bundle_files"] = sorted(bundle["files"])
        result["bundle_vectors"] = _sha(_VERSION.sub("TinyML Lab <version>", bundle["files"]["test_vectors.h"]))
    if shutil.which("gcc") and options.get("name") == "model":
        result["gcc"] = _sha(_run_gcc(header, decode_array(x)))
    return result
