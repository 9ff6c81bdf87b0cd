#!/usr/bin/env python3
"""Gaussian-model C export benchmark: TinyML Lab vs emlearn vs m2cgen for GaussianNB,
GaussianMixture, BayesianGaussianMixture and EllipticEnvelope, same models, same run.

    python bench/mixtures/run.py [--quick] [--workdir DIR] [--json FILE]

See README.md beside this file for what is measured and how."""
import argparse
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # the working tree's tinyml_lab, not an installed one
sys.path.insert(0, str(HERE))  # tools.py
sys.path.insert(0, str(HERE.parent / "common"))  # measure.py, tables.py (shared with trees, nets)

import measure  # noqa: E402
import numpy as np  # noqa: E402
import tools  # noqa: E402
from scipy.special import logsumexp  # noqa: E402
from sklearn.covariance import EllipticEnvelope  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine  # noqa: E402
from sklearn.mixture import BayesianGaussianMixture, GaussianMixture  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.naive_bayes import GaussianNB  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from tables import fmt_int, fmt_ratio, print_table, write_results_json  # noqa: E402

BASELINE = "tinyml-f32"
SCORE_DRIVER = HERE / "c" / "score_driver.c"
QUICK = ("iris_nb", "digits_nb", "iris_gmm_full", "cancer_gmm_tied")


# ---- models --------------------------------------------------------------------------------
@dataclass
class Case:
    name: str
    model: object
    kind: str  # "nb", "gmm" (mixtures, Bayesian ones too) or "envelope"
    rows: np.ndarray  # float32 test rows, what every tool's C code gets
    expected: np.ndarray  # the reference's class / component index (envelope: 0 outlier, 1 inlier)
    score: np.ndarray  # the reference's score per test row (float64)
    description: str

    @property
    def n_outputs(self) -> int:
        """Classes (naive Bayes) or components (mixtures); 2 for the envelope's -1 / +1."""
        if self.kind == "nb":
            return len(self.model.classes_)
        return 2 if self.kind == "envelope" else self.model.n_components


def split(dataset, standardize: bool):
    """Stratified 50/50 split, random_state=0; standardized on the training half when asked;
    float32 rows (the C code's input), handed to scikit-learn as float64 of those values."""
    X, y = dataset(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)
    if standardize:
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    X_train = X_train.astype(np.float32).astype(np.float64)
    X_test = X_test.astype(np.float32)
    return X_train, X_test, y_train


def make_cases(names=None) -> list:
    data = {"iris": load_iris, "wine": load_wine, "cancer": load_breast_cancer, "digits": load_digits}
    full_names = {"iris": "iris", "wine": "wine", "cancer": "breast_cancer", "digits": "digits"}

    def gmm(k, cov):
        return GaussianMixture(n_components=k, covariance_type=cov, random_state=0)

    specs = [  # name, dataset, kind, model, standardize
        *[(f"{d}_nb", d, "nb", GaussianNB(), False) for d in ("iris", "wine", "cancer", "digits")],
        ("iris_gmm_full", "iris", "gmm", gmm(3, "full"), True),
        ("wine_gmm_diag", "wine", "gmm", gmm(3, "diag"), True),
        ("cancer_gmm_tied", "cancer", "gmm", gmm(2, "tied"), True),
        ("digits_gmm_spherical", "digits", "gmm", gmm(10, "spherical"), True),
        ("iris_bgmm_full", "iris", "gmm",
         BayesianGaussianMixture(n_components=3, covariance_type="full", max_iter=500, random_state=0), True),
        ("wine_envelope", "wine", "envelope", EllipticEnvelope(random_state=0), True),
    ]
    if names:
        specs = [s for s in specs if s[0] in names]
    cases = []
    for name, dataset, kind, model, standardize in specs:
        X_train, rows, y_train = split(data[dataset], standardize)
        X_ref = rows.astype(np.float64)
        if kind == "nb":
            model.fit(X_train, y_train)
            expected = np.searchsorted(model.classes_, model.predict(X_ref))
            score = logsumexp(model.predict_joint_log_proba(X_ref), axis=1)  # log p(x)
            what = f"GaussianNB, {len(model.classes_)} classes"
        elif kind == "gmm":
            model.fit(X_train)
            expected = model.predict(X_ref)
            score = model.score_samples(X_ref)
            what = (f"{type(model).__name__}({model.n_components}, {model.covariance_type}), "
                    f"unsupervised, standardized")
        else:
            model.fit(X_train)
            expected = (model.predict(X_ref) > 0).astype(np.int64)
            score = model.score_samples(X_ref)
            what = "EllipticEnvelope, standardized; label 0 outlier / 1 inlier"
        description = (f"{what}; {full_names[dataset]} {rows.shape[1]} features, {len(rows)} test rows"
                       + (f", {int(np.sum(expected == 0))} outliers" if kind == "envelope" else ""))
        cases.append(Case(name, model, kind, rows, expected, score, description))
    return cases


# ---- one model x one tool ------------------------------------------------------------------
@dataclass
class Result:
    case: str
    tool: str
    flash: dict = field(default_factory=dict)  # target -> (model bytes, library bytes)
    ram: tuple = (None, None)  # static .data+.bss reached, M4F: (model, libraries)
    stack: int = None  # deepest stack of bench_predict on Cortex-M4F (QEMU, painted)
    host_ipp: float = None
    m4f_ipp: float = None
    host_agree: str = "-"
    m4f_agree: str = "-"
    rv32_ipp: float = None  # instructions per prediction, RV32IMC in qemu-system-riscv32
    rv32_stack: int = None  # deepest stack of bench_predict on RV32IMC (painted)
    rv32_agree: str = "-"
    avr: dict = field(default_factory=dict)  # ATmega328P in simavr: measure.measure_avr's keys
    score_err: float = None  # max |C score - scikit-learn score| over the test rows
    score_rel: float = None  # the same over max(1, |scikit-learn score|)
    note: str = ""
    errors: list = field(default_factory=list)


SKIPPED = []  # (case, tool, reason) of every export a tool refused


def export(case, tool, directory: Path):
    """Main thread (exporters are not assumed thread-safe). None when the tool cannot
    handle the model: it says why in a SKIPPING line and the run goes on."""
    directory.mkdir(parents=True)
    try:
        info = tool.export(case, directory)
    except Exception as error:  # noqa: BLE001 - any refusal of the exporter is a skip
        reason = f"{error.__class__.__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
        print(f"SKIPPING {tool.name} on {case.name}: {reason}")
        SKIPPED.append((case.name, tool.name, reason))
        return None
    measure.write_rows_header(directory, case.rows, case.expected)
    return Result(case.name, tool.name, note=info.get("note", ""))


def host_scores(directory: Path) -> np.ndarray:
    """The tool's score for every test row (host gcc -O2, no valgrind: it is not timed)."""
    measure.run(["gcc", "-std=c99", "-O2", "-I", str(directory), str(SCORE_DRIVER),
                 str(directory / tools.SCORE), "-lm", "-o", "score_bench"], directory)
    out = measure.run(["./score_bench"], directory).stdout
    return np.array([float(v) for v in out.split()], dtype=np.float64)


def measure_all(case, result: Result, directory: Path, fw_rows: int) -> Result:
    """Each measurement is independent: one failing still lets the others fill their columns."""
    directory = directory.resolve()
    measure.measure_sizes(result, directory)
    try:
        result.host_ipp, predictions = measure.host_run(directory, len(case.rows))
        agree = int(np.sum(np.asarray(predictions) == case.expected))
        result.host_agree = f"{agree}/{len(case.rows)}"
    except Exception as error:
        result.errors.append(f"host: {error}")
    try:
        found = measure.qemu_run(directory, fw_rows)
        result.m4f_ipp, result.stack = found["ipp"], found["stack"]
        result.m4f_agree = found["agree"].replace("agree=", "")
    except Exception as error:
        result.errors.append(f"qemu: {error}")
    measure.measure_rv32(result, directory, fw_rows)
    measure.measure_avr(result, directory, fw_rows)
    if (directory / tools.SCORE).exists():
        try:
            scores = host_scores(directory)
            diff = np.abs(scores - case.score)  # NaN (tool error) stays NaN: max is NaN
            result.score_err = float(np.max(diff))
            result.score_rel = float(np.max(diff / np.maximum(1.0, np.abs(case.score))))
        except Exception as error:
            result.errors.append(f"score: {error}")
    return result


# ---- printing ------------------------------------------------------------------------------
def fmt_stack(stack) -> str:
    """The firmware paints STACK_SPAN (16 KiB) bytes: that much means at least that much."""
    return f">={stack:,}" if stack is not None and stack >= measure.STACK_SPAN else fmt_int(stack)


def fmt_err(value) -> str:
    return "-" if value is None else f"{value:.2g}"


def results_table(cases, results: list) -> None:
    header = ["model", "tool", "flash M4F", "flash M0+", "lib M4F", "lib M0+", "static RAM", "stack M4F",
              "host instr/pred", "M4F instr/pred", "agree host", "agree M4F", "score max|err|", "rel", "note"]
    by_key = {(r.case, r.tool): r for r in results}
    skipped = {(c, t): why for c, t, why in SKIPPED}
    rows = []
    for case in cases:
        for tool in tools.all_tools():
            r = by_key.get((case.name, tool.name))
            if r is None:
                why = skipped.get((case.name, tool.name), tool.missing or "not run")
                rows.append([case.name, tool.name, *["-"] * 12, f"not supported: {why}"])
                continue
            flash = {t: r.flash.get(t, (None, None)) for t in measure.ARM_TARGETS}
            rows.append([r.case, r.tool, fmt_int(flash["M4F"][0]), fmt_int(flash["M0+"][0]),
                         fmt_int(flash["M4F"][1]), fmt_int(flash["M0+"][1]), fmt_int(r.ram[0]),
                         fmt_stack(r.stack), fmt_int(r.host_ipp), fmt_int(r.m4f_ipp), r.host_agree,
                         r.m4f_agree, fmt_err(r.score_err), fmt_err(r.score_rel), r.note])
    print_table(header, rows)


def ram_total(r: Result):
    return None if r.ram[0] is None or r.stack is None else r.ram[0] + r.stack


def metrics(r: Result) -> list:
    return [r.flash.get("M4F", (None,))[0], r.flash.get("M0+", (None,))[0], ram_total(r), r.host_ipp, r.m4f_ipp]


def ratio_table(results: list) -> None:
    baselines = {r.case: r for r in results if r.tool == BASELINE}
    header = ["model", "tool / " + BASELINE, "flash M4F", "flash M0+", "RAM (static+stack)", "host instr",
              "M4F instr"]
    rows = []
    for r in results:
        base = baselines.get(r.case)
        if r.tool == BASELINE or base is None:
            continue
        rows.append([r.case, r.tool, *[fmt_ratio(a, b) for a, b in zip(metrics(r), metrics(base))]])
    print_table(header, rows)


#: Whose versions a run prints: the tools compared and scikit-learn.
MEASURED_MODULES = ("tinyml_lab", "emlearn", "m2cgen", "sklearn")


# ---- main ----------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{len(QUICK)} models ({', '.join(QUICK)}), "
                        "3 QEMU rows")
    parser.add_argument("--workdir", help="keep generated code and binaries here")
    parser.add_argument("--json", help="also write the results as JSON here (bench/compare.py reads it)")
    args = parser.parse_args()

    missing = measure.missing_tool()
    if missing:
        print(missing)
        return 2

    started = time.time()
    fw_rows = 3 if args.quick else 10
    tool_list = []
    for tool in tools.all_tools():
        if tool.missing:
            print(f"SKIPPING {tool.name} on all models: {tool.missing}")
        else:
            tool_list.append(tool)
    # Importing emlearn runs numpy.seterr(all="raise") (emlearn/bayes.py); scikit-learn's
    # mixtures underflow harmlessly while fitting: numpy's defaults again.
    np.seterr(divide="warn", over="warn", under="ignore", invalid="warn")

    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_mixtures_"))
    work.mkdir(parents=True, exist_ok=True)
    cases = make_cases(QUICK if args.quick else None)
    jobs = []
    for case in cases:
        for tool in tool_list:
            directory = work / case.name / tool.name
            shutil.rmtree(directory, ignore_errors=True)
            result = export(case, tool, directory)
            np.seterr(divide="warn", over="warn", under="ignore", invalid="warn")  # emlearn again
            if result is not None:
                jobs.append((case, result, directory))

    # Compiles, callgrind and QEMU are separate processes: run them on every core.
    with ThreadPoolExecutor() as pool:
        results = list(pool.map(lambda job: measure_all(*job, fw_rows), jobs))

    print()
    print(measure.versions(MEASURED_MODULES))
    print(f"\n{len(cases)} models; host: all test rows; M4F: first {fw_rows} test rows\n")
    for case in cases:
        print(f"  {case.name}: {case.description}")
    print()
    results_table(cases, results)
    print()
    ratio_table(results)
    for r in results:
        for error in r.errors:
            print(f"ERROR {r.case} {r.tool}: {error}")
    if args.json:
        write_results_json(args.json, "mixtures", results, SKIPPED, versions=measure.versions(MEASURED_MODULES),
                           fw_rows=fw_rows,
                           descriptions={c.name: c.description for c in cases},
                           missing={t.name: t.missing for t in tools.all_tools() if t.missing})
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
