#!/usr/bin/env python3
"""Writes the model directory the TFLM anchor build (../shared/tflm/build.sh, MODELS=dir) reads,
for the four MLPerf Tiny int8 models in ../shared/models/mlperf-tiny/:

    NAME.tflite      a symlink to the shared file (the models are never copied into the repository)
    NAME.json        operators (sequence and set), input/output shapes and quantization, source, sha256
    NAME_rows.npz    rows:          seeded random int8 test rows, flattened ([n_rows, input size])
                     tflm_host_out: TFLite Micro's host interpreter (PyPI `tflite-micro`, reference kernels)
                     tflite_out:    TFLite's interpreter (`ai-edge-litert`, BUILTIN_REF kernels) when it
                                    is installed, else a copy of tflm_host_out (NAME.json says which)

    python bench/mlperf_tiny/prepare.py [--out build/mlperf_tiny/models] [--rows 10] [--seed 0]

Needs numpy and tflite-micro (pip install tflite-micro); ai-edge-litert is optional."""
import argparse
import hashlib
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("MLPERF_TINY_DIR", ROOT.parent / "shared" / "models" / "mlperf-tiny"))
# short name -> (shared file, task)
MODELS = {
    "kws": ("kws_ref_model.tflite", "keyword spotting, DS-CNN"),
    "vww": ("vww_96_int8.tflite", "visual wake words, MobileNetV1 0.25 96x96"),
    "ic": ("pretrainedResnet_quant.tflite", "image classification, ResNet-8 CIFAR-10"),
    "ad": ("ad01_int8.tflite", "anomaly detection, FC autoencoder"),
}
DEFAULT_OUT = ROOT / "build" / "mlperf_tiny" / "models"
SEED = 0
N_ROWS = 10


def model_ops(flatbuffer: bytes) -> dict:
    """Operator sequence of subgraph 0 and the operator codes the file lists, by builtin name."""
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    model = schema.Model.GetRootAs(flatbuffer, 0)
    codes = []
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        # deprecated_builtin_code holds codes < 127 in files written before the int32 field
        codes.append(names[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())])
    graph = model.Subgraphs(0)
    sequence = [codes[graph.Operators(i).OpcodeIndex()] for i in range(graph.OperatorsLength())]
    return {"ops": sequence, "builtin_ops": sorted(set(sequence)), "operator_codes": codes,
            "subgraphs": model.SubgraphsLength()}


def tflm_host_outputs(flatbuffer: bytes, rows, shape):
    """Int8 outputs of TFLite Micro's host interpreter (reference kernels), one row at a time."""
    import numpy as np
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(flatbuffer, arena_size=4 * 1024 * 1024)
    outs = []
    for row in rows:
        interpreter.set_input(row.reshape(shape), 0)
        interpreter.invoke()
        outs.append(np.asarray(interpreter.get_output(0)).reshape(-1).copy())
    return np.asarray(outs, dtype=np.int8), interpreter


def tflite_outputs(flatbuffer: bytes, rows):
    """Int8 outputs of TFLite's interpreter with its reference kernels, or None without ai-edge-litert."""
    import numpy as np

    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError:
        return None
    interpreter = Interpreter(model_content=flatbuffer,
                              experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    outs = []
    for row in rows:
        interpreter.set_tensor(inp["index"], row.reshape(inp["shape"]))
        interpreter.invoke()
        outs.append(interpreter.get_tensor(out["index"]).reshape(-1).copy())
    return np.asarray(outs, dtype=np.int8)


def quantization(details: dict) -> dict:
    q = details["quantization_parameters"]
    return {"scale": [float(v) for v in q["scales"]], "zero_point": [int(v) for v in q["zero_points"]]}


def prepare(out: Path = DEFAULT_OUT, n_rows: int = N_ROWS, seed: int = SEED, only=None) -> dict:
    """Writes out/NAME.{tflite,json} and out/NAME_rows.npz for each model; returns {name: info}."""
    import numpy as np

    out.mkdir(parents=True, exist_ok=True)
    infos = {}
    for index, (name, (filename, task)) in enumerate(MODELS.items()):
        if only and name not in only:
            continue
        source = SHARED / filename
        flatbuffer = source.read_bytes()
        link = out / f"{name}.tflite"
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(source)
        ops = model_ops(flatbuffer)

        from tflite_micro.python.tflite_micro import runtime

        probe = runtime.Interpreter.from_bytes(flatbuffer, arena_size=4 * 1024 * 1024)
        inp, outp = probe.get_input_details(0), probe.get_output_details(0)
        if inp["dtype"] is not np.int8 or outp["dtype"] is not np.int8:
            raise ValueError(f"{filename}: int8 input and output expected, got {inp['dtype']}, {outp['dtype']}")
        shape = [int(v) for v in inp["shape"]]
        # Seeded uniform int8 rows, one generator per model so a subset gives the same rows.
        rng = np.random.default_rng([seed, index])
        rows = rng.integers(-128, 128, size=(n_rows, int(np.prod(shape))), dtype=np.int16).astype(np.int8)
        host, _ = tflm_host_outputs(flatbuffer, rows, shape)
        lite = tflite_outputs(flatbuffer, rows)
        np.savez(out / f"{name}_rows.npz", rows=rows, tflm_host_out=host,
                 tflite_out=host if lite is None else lite)
        info = {
            "name": name, "task": task, "source": str(source), "tflite_bytes": len(flatbuffer),
            "sha256": hashlib.sha256(flatbuffer).hexdigest(), **ops,
            "input_shape": shape, "output_shape": [int(v) for v in outp["shape"]],
            "input_quantization": quantization(inp), "output_quantization": quantization(outp),
            "rows": n_rows, "seed": seed, "row_generator": f"numpy default_rng([{seed}, {index}]) uniform int8",
            "tflite_out_source": "tflm_host (ai-edge-litert not installed)" if lite is None
            else "ai_edge_litert BUILTIN_REF",
            "tflm_host_equals_tflite": None if lite is None else bool(np.array_equal(host, lite)),
        }
        if lite is not None:
            diff = np.abs(host.astype(int) - lite.astype(int))
            info["tflm_host_vs_tflite"] = {
                "rows_differing": int((diff.max(axis=1) > 0).sum()), "elements_differing": int((diff > 0).sum()),
                "max_abs_diff": int(diff.max()),
                "argmax_equal": int((host.argmax(axis=1) == lite.argmax(axis=1)).sum())}
        (out / f"{name}.json").write_text(json.dumps(info, indent=1) + "\n")
        infos[name] = info
        print(f"{name}: {filename} {len(flatbuffer):,} B, ops {', '.join(ops['builtin_ops'])}; "
              f"{n_rows} rows, TFLM host == TFLite: {info['tflm_host_equals_tflite']} "
              f"{info.get('tflm_host_vs_tflite', '')}", flush=True)
    return infos


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--rows", type=int, default=N_ROWS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--only", nargs="*", choices=list(MODELS))
    args = parser.parse_args()
    prepare(args.out, args.rows, args.seed, args.only)


if __name__ == "__main__":
    main()
