#!/usr/bin/env python3
"""Runs in the TensorFlow venv (not the main one): TFLite full-integer conversion of Keras
models, then the .tflite run by TFLite's interpreter and by TFLite Micro's (host build).

    /work/tfvenv/bin/python bench/nets/tflite_helper.py JOBS.json
    /work/tfvenv/bin/python bench/nets/tflite_helper.py -      (jobs on standard input)

With "-" it imports TensorFlow first and then waits for the jobs, so the main run can start
it before it has trained the models. The jobs are a list of {"name", "model" (.keras file),
"input_shape", "calibration", "test" (.npy files of float32 rows, flattened), "out" (a
directory)}. For each job this writes into "out":

    model_int8.tflite    the converted model
    tflite_labels.npy    argmax of the int8 output, TFLite interpreter, one per test row
    tflm_labels.npy      the same from TFLite Micro's interpreter (if tflite-micro is there)
    result.json          sizes, quantization parameters, TFLM arena use, versions, errors

Arrays go in and out as .npy files; the main run (bench/nets/run.py, main venv) computes
accuracy and agreement itself. Conversion: representative dataset = the calibration rows one
at a time, Optimize.DEFAULT, TFLITE_BUILTINS_INT8 only, int8 input and output."""
import contextlib
import io
import json
import os
import re
import sys
import tempfile
import time
import traceback

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def convert(model_path: str, input_shape, calibration: np.ndarray) -> bytes:
    import keras
    import tensorflow as tf

    model = keras.saving.load_model(model_path)
    shape = [1, *input_shape]

    def representative():
        for row in calibration:
            yield [row.reshape(shape).astype(np.float32)]

    # A Keras 3 model exported as a SavedModel (its serving signature) converts cleanly; a
    # concrete function of model(x) keeps the weights as resource variables, which the
    # calibrator cannot read.
    saved = tempfile.mkdtemp(prefix="tflite_export_")
    model.export(saved, format="tf_saved_model", verbose=False)
    converter = tf.lite.TFLiteConverter.from_saved_model(saved)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def quantize(rows: np.ndarray, scale: float, zero: int) -> np.ndarray:
    return np.clip(np.round(rows / scale) + zero, -128, 127).astype(np.int8)


def run_tflite(flatbuffer: bytes, input_shape, rows: np.ndarray):
    import tensorflow as tf

    # TFLite's reference kernels (no XNNPACK delegate): the arithmetic TFLite Micro's
    # kernels implement, rather than an optimized kernel's.
    interpreter = tf.lite.Interpreter(
        model_content=flatbuffer,
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    scale, zero = inp["quantization"]
    labels = []
    for row in rows:
        interpreter.set_tensor(inp["index"], quantize(row, scale, zero).reshape([1, *input_shape]))
        interpreter.invoke()
        labels.append(int(np.argmax(interpreter.get_tensor(out["index"]).reshape(-1))))
    return np.asarray(labels, dtype=np.int32), {
        "input_scale": float(scale), "input_zero": int(zero),
        "output_scale": float(out["quantization"][0]), "output_zero": int(out["quantization"][1]),
        "ops": sorted({d["op_name"] for d in interpreter._get_ops_details()}),
    }


@contextlib.contextmanager
def captured_fd(fd: int):
    """What C++ code writes to a file descriptor (TFLM prints its allocations there)."""
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        saved = os.dup(fd)
        sys.stdout.flush()
        os.dup2(tmp.fileno(), fd)
        box = io.StringIO()
        try:
            yield box
        finally:
            os.dup2(saved, fd)
            os.close(saved)
            tmp.seek(0)
            box.write(tmp.read().decode(errors="replace"))


def run_tflm(flatbuffer: bytes, input_shape, rows: np.ndarray, scale: float, zero: int):
    """TFLite Micro's interpreter (the PyPI wheel's host build of TFLM and its reference
    kernels) on the same int8 model: labels and the arena it reports using."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(flatbuffer, arena_size=64 * 1024)
    labels = []
    for row in rows:
        interpreter.set_input(quantize(row, scale, zero).reshape([1, *input_shape]), 0)
        interpreter.invoke()
        labels.append(int(np.argmax(interpreter.get_output(0).reshape(-1))))
    with captured_fd(1) as out1, captured_fd(2) as out2:
        interpreter.print_allocations()
    text = out1.getvalue() + out2.getvalue()
    arena = {}
    for key, pattern in (("total", r"Arena allocation total (\d+) bytes"),
                         ("head", r"Arena allocation head (\d+) bytes"),
                         ("tail", r"Arena allocation tail (\d+) bytes")):
        found = re.search(pattern, text)
        if found:
            arena[key] = int(found.group(1))
    return np.asarray(labels, dtype=np.int32), {"arena": arena, "allocations": text.strip().splitlines()}


def versions() -> dict:
    found = {}
    for module in ("tensorflow", "keras", "tflite_micro"):
        try:
            mod = __import__(module)
            found[module] = getattr(mod, "__version__", None) or "installed"
        except Exception as error:  # noqa: BLE001 - report, do not fail
            found[module] = f"missing ({error.__class__.__name__})"
    return found


def main() -> int:
    info = versions()  # imports TensorFlow (seconds) before waiting for the jobs
    if sys.argv[1] == "-":
        jobs = json.load(sys.stdin)
    else:
        with open(sys.argv[1]) as source:
            jobs = json.load(source)
    for job in jobs:
        out = job["out"]
        os.makedirs(out, exist_ok=True)
        result = {"name": job["name"], "versions": info, "errors": []}
        started = time.time()
        try:
            calibration = np.load(job["calibration"])
            rows = np.load(job["test"])
            flatbuffer = convert(job["model"], job["input_shape"], calibration)
            with open(os.path.join(out, "model_int8.tflite"), "wb") as f:
                f.write(flatbuffer)
            result["tflite_bytes"] = len(flatbuffer)
            labels, details = run_tflite(flatbuffer, job["input_shape"], rows)
            np.save(os.path.join(out, "tflite_labels.npy"), labels)
            result["tflite"] = details
            try:
                tflm_labels, tflm = run_tflm(flatbuffer, job["input_shape"], rows,
                                             details["input_scale"], details["input_zero"])
                np.save(os.path.join(out, "tflm_labels.npy"), tflm_labels)
                result["tflm"] = tflm
            except ImportError as error:
                result["errors"].append(f"tflite-micro: {error} (pip install tflite-micro)")
            except Exception as error:  # noqa: BLE001 - report, do not fail
                result["errors"].append(f"tflite-micro: {error}")
        except Exception as error:  # noqa: BLE001 - report, do not fail
            result["errors"].append(f"{error.__class__.__name__}: {error}")
            result["traceback"] = traceback.format_exc()
        result["seconds"] = round(time.time() - started, 1)
        with open(os.path.join(out, "result.json"), "w") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
