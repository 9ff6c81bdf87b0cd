"""The IR mutation fuzzer: mutated model IRs through the real compiler bundle.

Starts from the golden IRs (tests/fixtures/golden/cases.json: every family and option), applies
one to three structured mutations (drop, copy or retype keys; numbers to 0, -1, huge, "NaN";
negative or huge shapes; truncated or corrupted base64; swapped dtypes; child indices that make
cycles or point outside; odd names and options) and calls compile, then one of run, estimate,
bundle and exportOptions, through tinyml_lab._engine's V8 (a worker process, so that a crash or
a hang of the engine is a finding, not the end of the run). The properties:

  - every call succeeds or fails with kind "ir", "InputError" or "OptionError" (an export option
    the model does not offer), or InvalidModelError from Python's encoder (a NaN or infinite
    number, which JSON cannot carry), and a one-line message without
    JavaScript's TypeError / RangeError text, "undefined", a stray NaN or a stack;
  - no call crashes the engine or takes longer than --call-budget seconds;
  - numbers the golden model's answer has (sizes, estimates) stay numbers, not null (NaN);
  - a compiled header (a sample of them) compiles with gcc -std=c99 -Wall -Wextra -Werror
    -pedantic and its <name>_validate() returns TML_OK (with AddressSanitizer and UBSan); a
    bundle (a sample) builds the same way for this PC and its harness passes on its vectors.

The inputs of past findings (tests/fuzz/corpus/ir/*.json) are replayed first. A finding is
written to build/fuzz/artifacts/ir/ as such a JSON file: replay it with --replay FILE.

    PYTHONPATH=. python tests/fuzz/ir_fuzz.py --seconds 30 [--seed N] [--results FILE]
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import json
import multiprocessing as mp
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz" / "corpus" / "ir"
ARTIFACTS = ROOT / "build" / "fuzz" / "artifacts" / "ir"
CASES = ROOT / "tests" / "fixtures" / "golden" / "cases.json"

DTYPES = {"float64": "d", "float32": "f", "int32": "i", "int16": "h", "uint8": "B", "uint32": "I"}
ENUMS = ["tree_ensemble", "neural_net", "gaussian", "svm", "neighbors", "classification", "regression",
         "anomaly", "mean", "sum", "identity", "logistic", "softmax", "isolation", "relu", "relu6", "tanh",
         "dense", "conv1d", "conv2d", "max_pool2d", "avg_pool1d", "global_avg_pool1d", "flatten", "batch_norm",
         "activation", "affine", "same", "valid", "full", "tied", "diag", "spherical", "rbf", "poly", "sigmoid",
         "linear", "ovr", "ovo", "euclidean", "manhattan", "chebyshev", "minkowski", "uniform", "distance",
         "log_mel", "imu_stats", "log_likelihood", "mahalanobis", "decision", "exp", "le", "lt"]
NUMBERS = [0, -1, 1, 2, 3, -2, 0.5, -0.0, 1e-320, 1e308, -1e308, 2**31 - 1, 2**31, 2**32, 2**53 + 1, 2**63,
           16777216, 32767, 32768, 65536, 65537, "NaN", "Infinity", "-Infinity", "1"]
STRINGS = ["", "x" * 5000, "*/ #include", "\\", "\u0000", "é中", "model name", "1model", "tml_model", "__x",
           "None", "null"]
OPTIONS = {"featureType": ["float32", "int16", "int8", "uint8", "float64", ""],
           "leafType": ["float32", "uint8", "int16", "int8", "bits"],
           "strategy": ["auto", "tables", "inline", "loops", ""],
           "standalone": [True, False, 0, "yes"],
           "name": ["model", "", "Model2", "tml_a", "a-b", "x" * 300, "int", "_X", 3, None]}

# Messages that may name NaN: the compiler's own words for a non-finite value it refuses, or for the
# way a tree routes NaN.
NAN_ALLOWED = re.compile(r"NaN, infinite|is NaN|NaN or infinite|NaN and infinite|not NaN|NaN is allowed"
                         r"|only NaN (?:right|left)|data with NaN")


# ---- the engine, in a worker process ----

def _worker(conn) -> None:
    from tinyml_lab import _engine  # noqa: PLC0415 - V8 starts in the worker only
    from tinyml_lab.errors import InvalidModelError  # noqa: PLC0415

    while True:
        job = conn.recv()
        if job is None:
            return
        function, args = job
        try:
            # _engine.call, but keeping the error's kind: the property is about it. Python's
            # encoder refuses a NaN or infinite number (JSON has none) as the user would see it.
            try:
                encoded = [_engine._encode(function, i, a) for i, a in enumerate(args)]
            except InvalidModelError as refused:
                conn.send(("result", json.dumps({"ok": False, "kind": "InvalidModelError", "error": str(refused)})))
                continue
            with _engine._lock:
                raw = _engine._core().call(f"TinyMLCore.headless.{function}", *encoded)
            conn.send(("result", raw))
        except Exception as exc:  # noqa: BLE001 - anything the engine raises is a finding
            conn.send(("raised", f"{type(exc).__name__}: {exc}"))


class Engine:
    """The compiler bundle in a worker process, restarted after a crash or a hang."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.process = None
        self.conn = None

    def start(self) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child,), daemon=True)
        self.process.start()
        self.call("targetProfiles")  # V8 up before the first timed call

    def call(self, function: str, *args: Any) -> tuple[str, Any]:
        """("result", dict) | ("raised", text) | ("crash", text) | ("hang", seconds)."""
        if self.process is None:
            self.start()
        self.conn.send((function, args))
        if not self.conn.poll(self.budget):
            self.stop()
            return "hang", self.budget
        try:
            kind, payload = self.conn.recv()
        except EOFError:
            code = self.process.exitcode
            self.stop()
            return "crash", f"engine process died (exit code {code})"
        return (kind, json.loads(payload)) if kind == "result" else (kind, payload)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.join()
        self.process = None


# ---- mutations ----

def decode(arr: dict) -> list:
    """The array's values; none when an earlier mutation broke its encoding."""
    try:
        data = base64.b64decode(arr["data"], validate=True)
    except ValueError:
        return []
    code = DTYPES[arr["dtype"]]
    size = struct.calcsize(code)
    return list(struct.unpack(f"<{len(data) // size}{code}", data[: len(data) // size * size]))


def encode(values: list, dtype: str) -> str:
    code = DTYPES[dtype]
    if code in "ihBI":
        lo, hi = {"i": (-2**31, 2**31 - 1), "h": (-2**15, 2**15 - 1), "B": (0, 255), "I": (0, 2**32 - 1)}[code]
        values = [min(max(int(v), lo), hi) if v == v and abs(v) != float("inf") else 0 for v in values]
    elif code == "f":  # beyond float32: its infinity
        values = [v if not abs(v) > 3.4028234663852886e38 else float("inf") * (1 if v > 0 else -1) for v in values]
    return base64.b64encode(struct.pack(f"<{len(values)}{code}", *values)).decode()


def is_array(node: Any) -> bool:
    return (isinstance(node, dict) and isinstance(node.get("dtype"), str) and node["dtype"] in DTYPES
            and isinstance(node.get("data"), str)
            and isinstance(node.get("shape"), list))


def nodes(doc: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """Every (path, node) below doc, encoded arrays as leaves."""
    found = [(path, doc)]
    if is_array(doc):
        return found
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += nodes(value, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            found += nodes(value, (*path, i))
    return found


def put(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return doc


def mutate_array(rng: random.Random, arr: dict) -> dict:
    arr = dict(arr)
    values = decode(arr)
    choice = rng.randrange(9)
    if choice == 0:  # truncated or corrupted base64
        data = arr["data"]
        cut = rng.choice([0, 1, 2, len(data) // 2, max(len(data) - 1, 0), max(len(data) - 4, 0)])
        arr["data"] = rng.choice([data[:cut], data[:cut] + "!" + data[cut:], data[:cut] + "=" + data[cut + 1:]])
    elif choice == 1:  # another dtype, same bytes
        arr["dtype"] = rng.choice([*DTYPES, "float16", "int64", "", None])
    elif choice == 2 and values:  # another dtype, the same values re-encoded
        arr["dtype"] = rng.choice(list(DTYPES))
        arr["data"] = encode(values, arr["dtype"])
    elif choice == 3:  # shapes
        shape = list(arr["shape"])
        last = shape[-1] if shape and isinstance(shape[-1], int) else 1
        arr["shape"] = rng.choice([[], [0], [-1], [2**31], [2**53], shape[::-1], [*shape, 1], shape[1:], [1.5],
                                   ["3"], [*shape[:-1], last + 1], None, 7])
    elif values:  # elements: special values, off-by-one indices, cycles
        n = len(values)
        integer = DTYPES[arr["dtype"]] in "ihB"
        for _ in range(rng.choice([1, 1, 2, 3, n])):
            i = rng.randrange(n)
            if integer:
                values[i] = rng.choice([-1, -2, 0, i, max(i - 1, 0), n, n - 1, n + 1, 2**31 - 1, -2**31, 32767,
                                        values[rng.randrange(n)]])
            else:
                values[i] = rng.choice([0.0, -1.0, float("nan"), float("inf"), -float("inf"), 1e38, 3.5e38, 1e300,
                                        -1e300, 5e-324, 1e-45, values[rng.randrange(n)] * 1e6])
        if choice == 8:  # also drop or duplicate the tail, keeping the shape
            values = values[: rng.randrange(n + 1)] if rng.random() < 0.5 else values + values[: rng.randrange(n + 1)]
        arr["data"] = encode(values, arr["dtype"])
    return arr


def mutate_value(rng: random.Random, value: Any, siblings: dict | None) -> Any:
    """A new value for a node (None: drop it from its dict)."""
    if is_array(value):
        return mutate_array(rng, value) if rng.random() < 0.85 else rng.choice([None, [], 0, "AAAA"])
    if isinstance(value, bool):
        return rng.choice([not value, 0, 1, "true", None])
    if isinstance(value, (int, float)):
        return rng.choice([*NUMBERS, value + 1, value - 1, -value, value * 1000, str(value), [value], None])
    if isinstance(value, str):
        return rng.choice([*ENUMS, *STRINGS, value.upper(), value + " ", 1, None])
    if isinstance(value, list):
        if not value:
            return rng.choice([[0], [None], [{}], {}, None])
        i = rng.randrange(len(value))
        return rng.choice([[], value[:i], value + [copy.deepcopy(value[i])], value[::-1], value * 50,
                           [*value[:i], None, *value[i + 1:]], [*value[:i], [value[i]], *value[i + 1:]], value[0]])
    if isinstance(value, dict):
        keys = list(value)
        if keys and rng.random() < 0.5:
            new = dict(value)
            del new[rng.choice(keys)]
            return new
        if siblings:
            return copy.deepcopy(rng.choice(list(siblings.values())))
        return rng.choice([{}, [], None, "x"])
    return rng.choice([0, "x", [], {}])


def mutate_ir(rng: random.Random, ir: dict) -> dict:
    ir = copy.deepcopy(ir)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        candidates = nodes(ir)[1:]
        # arrays are where the numbers are: pick them more often
        arrays = [c for c in candidates if is_array(c[1])]
        path, value = rng.choice(arrays if arrays and rng.random() < 0.4 else candidates)
        parent = ir
        for key in path[:-1]:
            parent = parent[key]
        roll = rng.random()
        if isinstance(parent, dict) and roll < 0.08:
            del parent[path[-1]]
        elif isinstance(parent, dict) and roll < 0.12:
            other = rng.choice(list(parent))  # one key's value under another key
            parent[path[-1]] = copy.deepcopy(parent[other])
        elif isinstance(parent, dict) and roll < 0.15:
            parent[rng.choice(["extra", "output", "preprocess", "feature_stage", "baseline", "n_outputs"])] = \
                copy.deepcopy(value)
        else:
            new = mutate_value(rng, value, parent if isinstance(parent, dict) else None)
            if new is None and isinstance(parent, dict) and rng.random() < 0.5:
                del parent[path[-1]]
            else:
                put(ir, path, new)
    return ir


def mutate_options(rng: random.Random, options: dict) -> dict:
    options = copy.deepcopy(options)
    if rng.random() < 0.3:
        key = rng.choice([*OPTIONS, "calibration", "unknownOption"])
        if key == "calibration":
            options[key] = mutate_array(rng, options[key]) if "calibration" in options else \
                {"dtype": "float32", "shape": [1, 1], "data": "AAAAAA=="}
        else:
            options[key] = rng.choice(OPTIONS.get(key, [1, None, "x"]))
    return options


def mutate_input(rng: random.Random, x: dict) -> dict:
    return mutate_array(rng, x) if rng.random() < 0.15 else x


# ---- findings as changes to a golden case (small enough to commit) ----

def changes(golden: Any, doc: Any, at: tuple = ()) -> list[dict]:
    """What turns golden into doc: {"at": path, "set": value} or {"at": path, "delete": true}."""
    if isinstance(golden, dict) and isinstance(doc, dict) and not is_array(golden):
        found = [{"at": [*at, key], "delete": True} for key in golden if key not in doc]
        for key, value in doc.items():
            found += changes(golden[key], value, (*at, key)) if key in golden else [{"at": [*at, key], "set": value}]
        return found
    if isinstance(golden, list) and isinstance(doc, list) and len(golden) == len(doc):
        return [c for i, (g, d) in enumerate(zip(golden, doc)) for c in changes(g, d, (*at, i))]
    same = type(golden) is type(doc) and json.dumps(golden, sort_keys=True) == json.dumps(doc, sort_keys=True)
    return [] if same else [{"at": list(at), "set": doc}]


def applied(golden: Any, edits: list[dict]) -> Any:
    doc = copy.deepcopy(golden)
    for edit in edits:
        *parents, last = edit["at"]
        parent = doc
        for key in parents:
            parent = parent[key]
        if edit.get("delete"):
            del parent[last]
        else:
            parent[last] = edit["set"]
    return doc


# ---- properties ----

def message_problem(message: Any) -> str | None:
    if not isinstance(message, str) or not message.strip():
        return "no message"
    if "\n" in message:
        return "message of several lines"
    if re.search(r"\b(TypeError|RangeError|ReferenceError|SyntaxError)\b|is not a function|of undefined|of null"
                 r"|Cannot read|is not iterable|Maximum call stack|Invalid array length|\bat \S+ \(", message):
        return "JavaScript error text"
    own = re.sub(r'"(?:[^"\\]|\\.)*"', '""', message)  # the input's own strings, quoted, may say anything
    if re.search(r"\bundefined\b", own):
        return "'undefined' in the message"
    if re.search(r"\bNaN\b", NAN_ALLOWED.sub("", own)):
        return "NaN in the message"
    if len(message) > 2000:
        return "message longer than 2000 characters"
    return None


def nulls(golden: Any, got: Any, path: str = "") -> list[str]:
    """Paths where the golden answer has a number and the mutant's has null (NaN, infinity)."""
    if isinstance(golden, (int, float)) and not isinstance(golden, bool):
        return [path or "$"] if got is None else []
    found = []
    if isinstance(golden, dict) and isinstance(got, dict):
        for key in golden.keys() & got.keys():
            found += nulls(golden[key], got[key], f"{path}.{key}")
    elif isinstance(golden, list) and isinstance(got, list) and golden:
        for i, item in enumerate(got):
            found += nulls(golden[min(i, len(golden) - 1)], item, f"{path}[{i}]")
    return found


def check_header(header: str, name: str, work: Path) -> str | None:
    """The header compiles warning-free as C99 and its _validate() says TML_OK."""
    src = work / "main.c"
    src.write_text(f'#include "model.h"\nint main(void) {{ return {name}_validate() != 0; }}\n')
    (work / "model.h").write_text(header)
    exe = work / "main"
    build = subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1",
                            "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                            f"-I{ROOT / 'c-runtime' / 'include'}", "-o", str(exe), str(src), "-lm"],
                           capture_output=True, text=True)
    if build.returncode != 0:
        return "the header does not compile: " + (build.stderr.strip().splitlines() or ["?"])[0][:300]
    runs = subprocess.run([str(exe)], capture_output=True, text=True)
    if runs.returncode != 0:
        return f"{name}_validate() != TML_OK (exit {runs.returncode}) {runs.stderr.strip()[:300]}"
    return None


def check_bundle(files: dict[str, str], work: Path) -> str | None:
    """The bundle's harness builds warning-free for this PC and passes on its own vectors."""
    folder = work / "bundle"
    shutil.rmtree(folder, ignore_errors=True)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    exe = folder / "host"
    build = subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1", f"-I{folder}",
                            str(folder / "main.c"), str(folder / "target" / "host" / "target.c"), "-lm", "-o",
                            str(exe)], capture_output=True, text=True)
    if build.returncode != 0:
        return "the bundle does not compile: " + (build.stderr.strip().splitlines() or ["?"])[0][:300]
    try:
        runs = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "the bundle's harness runs longer than 60 s"
    if runs.returncode != 0:
        tail = " | ".join(runs.stdout.strip().splitlines()[-3:])
        return f"the bundle's harness fails on its own vectors (exit {runs.returncode}): {tail[:300]}"
    return None


class Fuzzer:
    def __init__(self, args) -> None:
        self.args = args
        self.engine = Engine(args.call_budget)
        self.rng = random.Random(args.seed)
        self.cases = json.loads(CASES.read_text())
        self.golden: dict[tuple[str, str], Any] = {}
        self.findings: dict[str, dict] = {}
        self.calls = 0
        self.compiled = 0
        self.work = Path(tempfile.mkdtemp(prefix="ir_fuzz_"))

    def finding(self, signature: str, job: dict, what: str) -> None:
        if signature in self.findings:
            return
        job = {**job, "finding": what}
        self.findings[signature] = job
        case = next((c for c in self.cases if c["name"] == job.get("case")), None)
        if case is not None:  # the golden case and what the mutations changed in it
            edits = changes(self.job_of(case), {k: job[k] for k in ("ir", "options", "x")})
            job = {"case": job["case"], "call": job["call"], "changes": edits, "finding": what}
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        text = json.dumps(job, indent=1)
        path = ARTIFACTS / f"finding-{hashlib.sha1(text.encode()).hexdigest()[:12]}.json"
        path.write_text(text)
        shown = what if len(what) < 300 else what[:300] + "..."
        print(f"FINDING {shown}\n  {job['call']} of {job.get('case')} -> {path.relative_to(ROOT)}", flush=True)

    def args_of(self, job: dict) -> list:
        call = job["call"]
        if call == "exportOptions":
            return [job["ir"]]
        if call == "estimate":
            return [job["ir"], job["options"], {}]
        if call in ("run", "bundle"):
            return [job["ir"], job["options"], {"x": job["x"]}]
        return [job["ir"], job["options"]]

    def check(self, job: dict, compile_header: bool) -> dict | None:
        """Runs one call and checks its properties; returns the answer of a success."""
        self.calls += 1
        status, answer = self.engine.call(job["call"], *self.args_of(job))
        where = f"{job['call']}"
        if status == "hang":
            self.finding(f"hang {where}", job, f"{where} took more than {answer} s")
            return None
        if status in ("crash", "raised"):
            self.finding(f"{status} {where} {answer[:60]}", job, f"{where}: {answer}")
            return None
        if not answer.pop("ok"):
            kind, message = answer.get("kind"), answer.get("error")
            problem = message_problem(message)
            if kind not in ("ir", "InputError", "OptionError", "InvalidModelError"):
                problem = f"error of kind {kind!r}"
            if problem:
                # one finding per kind of message, wherever in the IR and whichever call
                shape = re.sub(r"\d+", "N", re.sub(r"^malformed model IR at \S+: |\"[^\"]*\"", "", str(message)))
                self.finding(f"{problem} {shape[:60]}", job, f"{where}: {problem}: [{kind}] {message}")
            return None
        golden = self.golden.get((job["case"], job["call"]))
        missing = nulls(golden, answer) if golden is not None else []
        if missing:
            self.finding(f"{where} null {re.sub(r'[0-9]+', 'N', missing[0])}", job,
                         f"{where}: null where the golden answer has a number: {', '.join(missing[:5])}")
        if compile_header and job["call"] == "compile":
            self.compiled += 1
            name = job["options"].get("name") if isinstance(job["options"].get("name"), str) else "model"
            problem = check_header(answer["header"], name, self.work)
            if problem:
                self.finding(f"header {problem[:50]}", job, f"compile: {problem}")
        if compile_header and job["call"] == "bundle":
            self.compiled += 1
            problem = check_bundle(answer["files"], self.work)
            if problem:
                self.finding(f"bundle {problem[:50]}", job, f"bundle: {problem}")
        return answer

    def replay(self, paths: list[Path]) -> None:
        """Runs findings again: a golden case with changes, or a whole job."""
        for path in paths:
            job = json.loads(path.read_text())
            job.pop("finding", None)
            if "changes" in job:
                case = next(c for c in self.cases if c["name"] == job["case"])
                job = {**applied(self.job_of(case), job.pop("changes")), **job}
            self.check(job, compile_header=True)

    def run(self) -> int:
        self.engine.start()
        for case in self.cases:  # the answers the mutants are compared with
            for call in ("compile", "estimate"):
                status, answer = self.engine.call(call, *self.args_of({**self.job_of(case), "call": call}))
                if status == "result" and answer.get("ok"):
                    self.golden[(case["name"], call)] = answer
        self.replay(sorted(CORPUS.glob("*.json")) + [Path(p) for p in self.args.replay])
        end = time.monotonic() + self.args.seconds
        next_header = 0.0
        while time.monotonic() < end and not self.args.replay:
            case = self.rng.choice(self.cases)
            job = self.job_of(case)
            job["ir"] = mutate_ir(self.rng, job["ir"])
            job["options"] = mutate_options(self.rng, job["options"])
            job["x"] = mutate_input(self.rng, job["x"])
            # gcc and a sanitized run cost a second or so: one header every few seconds
            sample = time.monotonic() >= next_header
            answer = self.check({**job, "call": "compile"}, compile_header=sample)
            if sample and answer is not None:
                next_header = time.monotonic() + self.args.header_every
            second = self.rng.choice(["run", "estimate", "bundle", "exportOptions"])
            self.check({**job, "call": second}, compile_header=sample and second == "bundle")
        self.engine.stop()
        print(f"ir: {self.calls} calls, {self.compiled} headers and bundles compiled, {len(self.findings)} findings "
              f"(seed {self.args.seed})")
        return 1 if self.findings else 0

    @staticmethod
    def job_of(case: dict) -> dict:
        return {"case": case["name"], "ir": case["ir"], "options": case.get("options", {}), "x": case["x"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: a new one, printed)")
    parser.add_argument("--call-budget", type=float, default=20, help="seconds one call may take")
    parser.add_argument("--header-every", type=float, default=2, help="seconds between two headers compiled")
    parser.add_argument("--replay", nargs="*", default=[], help="finding files to run again (and nothing else)")
    parser.add_argument("--results", type=Path, help="append 'ir <status> <calls> <seconds>' to this file")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(2**31)
    print(f"ir fuzzer: seed {args.seed}, {args.seconds:g} s", flush=True)
    started = time.monotonic()
    fuzzer = Fuzzer(args)
    status = fuzzer.run()
    if args.results:
        with args.results.open("a") as out:
            out.write(f"ir {status} {fuzzer.calls} {time.monotonic() - started:.0f}\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
