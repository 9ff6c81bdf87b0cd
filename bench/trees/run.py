#!/usr/bin/env python3
"""Tree-model C export benchmark: TinyML Lab vs emlearn vs m2cgen, same models, same run.

    python bench/trees/run.py [--quick] [--workdir DIR] [--json FILE]

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
sys.path.insert(0, str(HERE.parent / "common"))  # measure.py, tables.py: shared with bench/nets

import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits, load_wine  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

import measure  # noqa: E402
import tools  # noqa: E402
from tables import fmt_int as _int, print_table, write_results_json  # noqa: E402

BASELINE = "tinyml-f32"


# ---- models --------------------------------------------------------------------------------
@dataclass
class Case:
    name: str
    model: object
    rows: np.ndarray  # float32 test rows, what every tool's C code gets
    expected: np.ndarray  # index into model.classes_ of model.predict(rows)


def make_cases(quick: bool) -> list:
    datasets = {"wine": load_wine, "cancer": load_breast_cancer, "digits": load_digits}

    def forest(n):
        return RandomForestClassifier(n_estimators=n, max_depth=8, random_state=0)

    specs = [
        ("wine_dt", "wine", DecisionTreeClassifier(random_state=0)),
        ("cancer_rf10", "cancer", forest(10)),
        ("cancer_rf50", "cancer", forest(50)),
        ("digits_rf10", "digits", forest(10)),
        ("digits_rf50", "digits", forest(50)),
    ]
    if quick:
        specs = [s for s in specs if s[0] in ("wine_dt", "cancer_rf10", "digits_rf10")]
    cases = []
    for name, dataset, model in specs:
        X, y = datasets[dataset](return_X_y=True)
        # float32 throughout: scikit-learn's trees compare float32 features anyway.
        X_train, X_test, y_train, _ = train_test_split(
            X.astype(np.float32), y, test_size=0.5, stratify=y, random_state=0
        )
        model.fit(X_train, y_train)
        expected = np.searchsorted(model.classes_, model.predict(X_test))
        cases.append(Case(name, model, X_test, expected))
    return cases


# ---- one model x one tool ------------------------------------------------------------------
@dataclass
class Result:
    case: str
    tool: str
    flash: dict = field(default_factory=dict)  # target -> (model bytes, library bytes)
    ram: tuple = (None, None)  # static .data+.bss reached, M4F: (model, libraries)
    stack: int = None  # deepest stack of bench_predict on Cortex-M4F (QEMU, painted)
    host_ipp: float = None  # instructions per prediction, host
    m4f_ipp: float = None  # instructions per prediction, Cortex-M4F in QEMU
    host_agree: str = "-"
    m4f_agree: str = "-"
    errors: list = field(default_factory=list)


def export(case: Case, tool, directory: Path) -> Result:
    """Runs in the main thread: exporters (TinyML Lab's embedded V8 included) are not
    assumed to be thread-safe."""
    result = Result(case.name, tool.name)
    directory.mkdir(parents=True)
    try:
        tool.export(case.model, directory)
        measure.write_rows_header(directory, case.rows, case.expected)
    except Exception as error:
        result.errors.append(f"export: {error}")
    return result


def measure_all(case: Case, result: Result, directory: Path, fw_rows: int) -> Result:
    """Each measurement is independent, so one failing (say, a compiler error) still lets
    the others fill their columns."""
    if result.errors:
        return result
    measure.measure_sizes(result, directory)
    try:
        result.host_ipp, predictions = measure.host_run(directory, len(case.rows))
        agree = int(np.sum(np.array(predictions) == case.expected))
        result.host_agree = f"{agree}/{len(case.rows)}"
    except Exception as error:
        result.errors.append(f"host: {error}")
    try:
        found = measure.m4f_run(directory, fw_rows)
        result.m4f_ipp, result.m4f_agree, result.stack = found["ipp"], found["agree"], found["stack"]
    except Exception as error:
        result.errors.append(f"qemu: {error}")
    return result


# ---- printing ------------------------------------------------------------------------------
def results_table(results: list) -> None:
    header = ["model", "tool", "flash M4F", "flash M0+", "lib M4F", "lib M0+", "static RAM", "stack M4F",
              "host instr/pred", "M4F instr/pred", "agree host", "agree M4F"]
    rows = []
    for r in results:
        flash = {t: r.flash.get(t, (None, None)) for t in measure.ARM_TARGETS}
        rows.append([r.case, r.tool, _int(flash["M4F"][0]), _int(flash["M0+"][0]),
                     _int(flash["M4F"][1]), _int(flash["M0+"][1]), _int(r.ram[0]), _int(r.stack),
                     _int(r.host_ipp),
                     _int(r.m4f_ipp), r.host_agree, r.m4f_agree.replace("agree=", "")])
    print_table(header, rows)


def metrics(r: Result) -> list:
    return [r.flash.get("M4F", (None,))[0], r.flash.get("M0+", (None,))[0], r.host_ipp, r.m4f_ipp]


def ratio_table(results: list) -> None:
    baselines = {r.case: r for r in results if r.tool == BASELINE}
    header = ["model", "tool / " + BASELINE, "flash M4F", "flash M0+", "host instr", "M4F instr"]
    rows = []
    for r in results:
        base = baselines.get(r.case)
        if r.tool == BASELINE or base is None:
            continue
        cells = [f"{a / b:.2f}x" if a and b else "-" for a, b in zip(metrics(r), metrics(base))]
        rows.append([r.case, r.tool, *cells])
    print_table(header, rows)


#: Whose versions a run prints: the tools compared and scikit-learn.
MEASURED_MODULES = ("tinyml_lab", "emlearn", "m2cgen", "sklearn")


# ---- main ----------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 small models, 5 QEMU rows")
    parser.add_argument("--workdir", help="keep generated code and binaries here")
    parser.add_argument("--json", help="also write the results as JSON here (bench/compare.py reads it)")
    args = parser.parse_args()

    missing = measure.missing_tool()
    if missing:
        print(missing)
        return 2

    started = time.time()
    fw_rows = 5 if args.quick else 20
    print(measure.versions(MEASURED_MODULES))
    tool_list, skipped = [], []
    for tool in tools.all_tools():
        if tool.missing:
            print(f"SKIPPING {tool.name}: {tool.missing}")
            skipped.append(("*", tool.name, tool.missing))
        else:
            tool_list.append(tool)

    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench_trees_"))
    cases = make_cases(args.quick)
    jobs = []
    for case in cases:
        for tool in tool_list:
            directory = work / case.name / tool.name
            shutil.rmtree(directory, ignore_errors=True)
            jobs.append((case, export(case, tool, directory), directory))

    # Compiles and emulators are separate processes: run them on every core.
    with ThreadPoolExecutor() as pool:
        results = list(pool.map(lambda job: measure_all(*job, fw_rows), jobs))

    print(f"\n{len(cases)} models; host: all test rows; M4F: first {fw_rows} test rows\n")
    results_table(results)
    print()
    ratio_table(results)
    for r in results:
        for error in r.errors:
            print(f"ERROR {r.case} {r.tool}: {error}")
    if args.json:
        write_results_json(args.json, "trees", results, skipped, versions=measure.versions(MEASURED_MODULES), fw_rows=fw_rows)
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
