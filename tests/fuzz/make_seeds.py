"""Writes the fuzzers' seed corpora (tests/fuzz/corpus/<target>/) from the golden cases.

Each golden model (tests/fixtures/golden/cases.json) is compiled to a header with the real
compiler; its model struct (and a pipeline's preprocessing net, a feature stage's log-mel
extractor) is then written in the libFuzzer targets' input layout by the target itself,
built with FUZZ_MAKE_SEED (tests/fuzz/fuzz.h). Two golden trees also come with missing-value
bits, categorical splits and the exp link (boosted_variants), so that the forest target starts
from those tables too. The feature extractors' other entry points get a few hand-made inputs.
The IR fuzzer's seeds are the golden IRs themselves.

    PYTHONPATH=. python tests/fuzz/make_seeds.py      # then commit tests/fuzz/corpus/
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz" / "corpus"
MAX_SEED_BYTES = 16384  # libFuzzer's -max_len in run.sh

# model struct type in a generated header -> the target that reads it
TARGETS = {"tml_forest_t": "forest", "tml_net_t": "net", "tml_gauss_t": "gauss", "tml_svm_t": "svm",
           "tml_knn_t": "knn", "tml_logmel_t": "features"}


def seed_bytes(target: str, header: Path, struct_name: str, work: Path) -> bytes:
    """The target built as a seed writer for one model of a header, and what it writes."""
    exe = work / f"seed_{target}"
    subprocess.run(["cc", "-std=c99", "-w", "-DFUZZ_MAKE_SEED", f"-DFUZZ_MODEL={struct_name}", "-include",
                    str(header), f"-I{ROOT / 'c-runtime' / 'include'}", "-o", str(exe),
                    str(ROOT / "tests" / "fuzz" / f"fuzz_{target}.c"), "-lm"], check=True)
    return subprocess.run([str(exe)], check=True, capture_output=True).stdout


def write_seed(target: str, name: str, data: bytes) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"seed-{name}").write_bytes(data)


def boosted_variants(cases: list[dict]) -> list[dict]:
    """Golden tree cases with docs/ir.md's boosting keys added: NaN sent left at every other
    split, every third split made categorical (one 2-word row per tree), and a regressor's exp
    link."""
    from tinyml_lab.arrays import decode_array, encode_array  # noqa: PLC0415 - needs numpy

    variants = []
    for case in cases:
        if case["name"] not in ("gbr_diabetes_huber", "rf_wine_int16_tables"):
            continue
        ir = json.loads(json.dumps(case["ir"]))
        for tree in ir["trees"]:
            internal = decode_array(tree["children_left"]) != -1
            index = np.arange(len(internal))
            categorical = internal & (index % 3 == 0)
            tree["missing_left"] = encode_array(internal & (index % 2 == 0), "uint8")
            if categorical.any():
                tree["category_set"] = encode_array(np.where(categorical, 0, -1), "int32")
                tree["category_bits"] = encode_array(np.array([[0x5A5A5A5A, 0x00FF00FF]]), "uint32")
        if ir["task"] == "regression":
            ir["link"] = "exp"
        variants.append({**case, "name": f"{case['name']}-boosted", "ir": ir})
    return variants


def graph_variants() -> list[dict]:
    """Two small graphs (no golden case is one), float32 and int8, so that the net target starts
    from layers that read earlier outputs: a residual ADD in place, a CONCAT of the input and a
    branch, MUL, MAX, PAD and UPSAMPLE."""
    from tinyml_lab.arrays import encode_array  # noqa: PLC0415 - the package, as the compiler's caller

    rng = np.random.default_rng(0)

    def conv(c_in: int, c_out: int, activation: str) -> dict:
        return {"kind": "conv2d", "weights": encode_array(rng.normal(size=(3, 3, c_in, c_out)), "float32"),
                "bias": encode_array(rng.normal(size=c_out) * 0.1, "float32"), "strides": [1, 1],
                "padding": "same", "activation": activation}

    layers = [conv(2, 2, "relu"), conv(2, 2, "identity"), {"kind": "add", "inputs": [0, 1]},
              {"kind": "activation", "activation": "relu"}, {"kind": "concatenate", "inputs": [-1, 3]},
              {"kind": "multiply", "inputs": [4, 4]}, {"kind": "maximum", "inputs": [5, 4]},
              {"kind": "pad", "pads": [1, 0, 0, 1]}, {"kind": "upsample", "size": [1, 2]},
              {"kind": "global_avg_pool2d"},
              {"kind": "dense", "weights": encode_array(rng.normal(size=(4, 3)), "float32"),
               "bias": encode_array(np.zeros(3), "float32"), "activation": "softmax"}]
    ir = {"format": "tinyml-lab-ir", "version": 1, "family": "neural_net", "estimator": "test.Graph",
          "task": "classification", "n_features": 32, "input_shape": [4, 4, 2], "classes": [0, 1, 2],
          "feature_names": [], "n_outputs": 3, "layers": layers}
    rows = encode_array(rng.normal(size=(20, 32)), "float32")
    return [{"name": "graph", "ir": ir, "options": {"name": "model"}},
            {"name": "graph_int8", "ir": ir, "options": {"name": "model", "featureType": "int8", "calibration": rows}}]


def model_seeds(work: Path) -> None:
    from tinyml_lab import _engine  # noqa: PLC0415 - needs the built compiler bundle

    cases = json.loads((ROOT / "tests" / "fixtures" / "golden" / "cases.json").read_text())
    written: set[str] = set()
    for case in cases + boosted_variants(cases) + graph_variants():
        options = {**case.get("options", {}), "standalone": False}
        header = work / f"{case['name']}.h"
        header.write_text(_engine.call("compile", case["ir"], options)["header"])
        for type_name, struct_name in re.findall(r"^static const (tml_\w+_t) (\w+) =", header.read_text(), re.M):
            if type_name not in TARGETS:
                continue
            target = TARGETS[type_name]
            data = seed_bytes(target, header, struct_name, work)
            digest = hashlib.sha1(data).hexdigest()[:8]
            # inline-code forests have no tables to fuzz; the same tables twice make one seed
            inline = target == "forest" and ".node_feature = NULL" in header.read_text()
            if len(data) > MAX_SEED_BYTES or digest in written or inline:
                continue
            written.add(digest)
            write_seed(target, f"{case['name']}-{struct_name.removeprefix('model_')}", data)


def i32(*values: int) -> bytes:
    return struct.pack(f"<{len(values)}i", *values)


def f32(*values: float) -> bytes:
    return struct.pack(f"<{len(values)}f", *values)


def signal(n: int) -> bytes:
    return f32(*[((k * 37) % 17 - 8) / 4 for k in range(n)])


def feature_seeds() -> None:
    """One valid call of each feature entry point (the op numbers of fuzz_features.c)."""
    seeds = {
        "power_spectrum": bytes([0, 2]) + i32(64, 1) + signal(128),
        "log_mel": bytes([1, 2]) + i32(64, 8) + f32(8000, 0, 4000, 1e-10) + signal(66),
        "mfcc": bytes([2, 2]) + i32(16, 8) + signal(32),
        "logmel_tables": bytes([3]) + i32(128, 10, 5, 200) + f32(8000, 20, 4000, 1e-10) + bytes([3, 0])
        + bytes([2]) + i32(256, 64) + signal(512),
        "window_stats": bytes([5, 2]) + i32(16, 3, 3) + signal(96),
        "median": bytes([6]) + i32(32, 5) + signal(32),
        "events": bytes([7]) + i32(32, 2, 4) + f32(0.5, -0.5) + signal(32),
        "magnitude": bytes([8]) + i32(10) + signal(30),
        "spectral": bytes([9]) + i32(33, 4) + f32(31.25) + f32(*[abs(v) for v in struct.unpack("<33f", signal(33))]),
        "framer": bytes([10]) + i32(8, 3, 8) + bytes([40, 0]) + signal(40),
        "average_vote": bytes([11]) + i32(16, 4, 3) + signal(16) + i32(*[k % 3 for k in range(16)]),
        "fft_dct": bytes([12]) + i32(32, 8, 6) + f32(8000, 0, 4000) + signal(64),
        "mel_sparse": bytes([13]) + i32(12, 3, 9, 6) + struct.pack("<6H", 0, 2, 5, 2, 2, 2) + signal(15) + signal(27),
    }
    for name, data in seeds.items():
        write_seed("features", name, data)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        model_seeds(Path(tmp))
    feature_seeds()
    for folder in sorted(CORPUS.iterdir()):
        files = list(folder.iterdir())
        print(f"{folder.name}: {len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
