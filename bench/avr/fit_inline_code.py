#!/usr/bin/env python3
"""Fits the bytes of inline tree code on AVR (INLINE_CODE.avr8 and FUSED_LEAF_CODE.avr8 in
src/core/families/trees/estimate.ts) from avr-gcc objects.

    python bench/avr/fit_inline_code.py [--quick]

The forests and boosted models of bench/size/fit_inline_code.py and the inline headers of
tests/python/test_estimates_calibration.py are exported as inline code (float32, int16, int8),
a caller of predict is compiled with avr-gcc -mmcu=atmega328p -Os (what the calibration
headers link; classifiers only, see bench/size/fit_inline_code.py), and the code is the
object's bytes (text, data, program-memory tables) less the estimate's table items. It is
fitted by least squares on the relative error of the total against what the C holds:

    splits        `if (...) goto ...;` lines
    far features  splits on a feature whose bytes lie past 63 from the row's start: AVR's
                  displacement load (ldd) reaches 63 bytes, beyond it the address is computed
    leaf adds     `sK += value;` of a fused predict: a soft-float add with a 4-byte literal
    spilled adds  of those, the adds where the sums outnumber what AVR's registers hold (over
                  four): the sum's load and store in the frame
    trees         tree functions or trees of a fused predict
    missing       quantized splits with a test of their own for NaN's code
    fused leaves  leaves of a fused predict (a vote, a class or sums and a jump), cheaper than
                  the `return row;` a tree function's split carries
    categorical   splits that call the runtime's category bit test
    once          the quantizer, predict and its argmax

Prints the fit per feature type (float32, quantized) and each model's error."""
import argparse
import re
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE.parent / "size"))
sys.path.insert(0, str(HERE.parents[1] / "tests" / "python"))

import tinyml_lab  # noqa: E402
from tinyml_lab import _engine  # noqa: E402
from tinyml_lab.errors import TinyMLError  # noqa: E402

FLAGS = ["-mmcu=atmega328p", "-std=c99", "-Os", "-c"]
SHAPE = ("splits", "far_features", "missing", "fused_leaves", "leaf_adds", "spilled_adds", "trees", "categorical")
SPLIT = re.compile(r"^\s*(?:\w+: )?\s*if \((.*)\) goto \w+;")
FEATURE = re.compile(r"\b(xq?)\[(\d+)\]")
#: the last byte of a feature an ldd reaches (displacement 0 ... 63)
LDD_REACH = 63


def predict_code(header: str) -> str:
    """The C that predict links: a fused predict's own body, else the tree functions."""
    start = header.index("_predict(const float *x)")
    body = header[start:header.index("\n}\n", start)]
    return body if "/* tree 0 */" in body else header


def n_outputs(header: str) -> int:
    return int(re.search(r"#define \w+_N_OUTPUTS (\d+)", header).group(1))


def code_shape(header: str, n_outputs: int) -> dict:
    """What the inline code predict links holds, counted in the generated C (see the module docstring)."""
    header = predict_code(header)
    fused = "/* tree 0 */" in header
    shape = dict.fromkeys(SHAPE, 0)
    shape["trees"] = len(re.findall(r"_tree_\d+\(const float", header)) + len(re.findall(r"/\* tree \d+ \*/", header))
    shape["leaf_adds"] = len(re.findall(r"\bs\d+ \+= ", header))
    # more sums than AVR's registers hold (four floats): each add loads and stores its sum in the frame
    shape["spilled_adds"] = shape["leaf_adds"] if n_outputs > 4 else 0
    shape["fused_leaves"] = shape["trees"] if fused else 0
    for line in header.splitlines():
        split = SPLIT.match(line)
        if not split:
            continue
        shape["splits"] += 1
        shape["categorical"] += "tml_category_left" in line
        shape["missing"] += "TML_QUANTIZED_NAN" in line
        shape["fused_leaves"] += fused  # a binary tree has one leaf more than splits: counted per split
        feature = FEATURE.search(split.group(1))
        if feature:
            width = 4 if feature.group(1) == "x" else 2  # float32 x, or int16_t xq (int16 and int8)
            shape["far_features"] += (int(feature.group(2)) + 1) * width - 1 > LDD_REACH
    return shape


def object_bytes(converted, work: Path) -> int:
    converted.save(str(work / "model.h"))
    (work / "use.c").write_text('#include "model.h"\nint use_model(const float *x);\n'
                                "int use_model(const float *x) { return model_predict(x); }\n")
    subprocess.run(["avr-gcc", *FLAGS, "use.c", "-o", "use.o"], cwd=work, check=True, capture_output=True)
    out = subprocess.run(["avr-size", "-A", "use.o"], cwd=work, check=True, capture_output=True, text=True).stdout
    return sum(int(line.split()[1]) for line in out.splitlines()
               if line.split() and line.split()[0].startswith((".text", ".rodata", ".data", ".progmem")))


def models(quick: bool):
    from fit_inline_code import models as arm_models  # noqa: PLC0415 - the Arm fit's models
    from test_estimates_calibration import CASES  # noqa: PLC0415 - the calibration headers

    yield from arm_models(quick)
    for name in ("small-forest", "forest", "digits-forest"):
        yield f"calibration {name}", CASES[f"{name}-float32-inline"][0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a third of the models")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    rows = []
    for name, model in models(args.quick):
        for dtype in ("float32", "int16", "int8"):
            try:
                converted = tinyml_lab.convert(model, name="model", dtype=dtype, strategy="inline")
            except TinyMLError as refused:  # int8 refuses "every value left" splits
                print(f"{name} {dtype}: {refused}")
                continue
            avr = next(e for e in _engine.call("estimate", converted.ir, converted.options)["estimates"]
                       if e["target"] == "avr")
            tables = sum(i["bytes"] for i in avr["flash"]
                         if i["name"] not in ("inline tree code", "evaluator code")
                         and not i["name"].startswith("C library"))
            code_estimate = avr["flashBytes"] - tables - sum(
                i["bytes"] for i in avr["flash"] if i["name"].startswith("C library"))
            with tempfile.TemporaryDirectory() as work:
                try:
                    measured = object_bytes(converted, Path(work))
                except subprocess.CalledProcessError as failed:
                    print(f"{name} {dtype}: not compiled for AVR ({failed.stderr.strip().splitlines()[-1][:100]})")
                    continue
            rows.append({"name": f"{name} {dtype}", "dtype": dtype, "total": measured, "code": measured - tables,
                         "estimate": tables + code_estimate,
                         **code_shape(converted.header, n_outputs(converted.header))})
            print(f"{rows[-1]['name']}: {measured} B, code {measured - tables} B, shape "
                  + " ".join(f"{k} {rows[-1][k]}" for k in SHAPE), flush=True)
    for kind, dtypes in (("float32", ("float32",)), ("quantized", ("int16", "int8"))):
        chosen = [r for r in rows if r["dtype"] in dtypes]
        features = np.array([[r[k] for k in SHAPE] + [1.0] for r in chosen], dtype=float)
        weights = 1.0 / np.array([r["total"] for r in chosen], dtype=float)
        target = np.array([r["code"] for r in chosen], dtype=float)
        fit, *_ = np.linalg.lstsq(features * weights[:, None], target * weights, rcond=None)
        print(f"\n{kind}: bytes per " + ", ".join(f"{k} {v:.1f}" for k, v in zip(SHAPE, fit))
              + f", once {fit[-1]:.0f}")
        for row, predicted in zip(chosen, features @ fit):
            fitted_total = row["total"] - row["code"] + predicted
            errors = [row["estimate"] / row["total"] - 1, fitted_total / row["total"] - 1]
            print(f"  {row['name']:<48} measured {row['total']:>7}  estimate {errors[0]:+6.1%}  "
                  f"fitted {errors[1]:+6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
