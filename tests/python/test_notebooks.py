"""Every tutorial notebook runs top to bottom in a fresh kernel, uses the widget, prints an
agreement report and exports headers that compile strictly and pass their self-test; the
notebooks are what scripts/make_notebook.py writes."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from conftest import STRICT_FLAGS, mlperf_tiny_models_dir
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: The tutorials of issue 8 this file must find (others may be added).
TUTORIALS = {"getting_started_trees", "neural_network_int8", "regression", "anomaly_detection", "imu_gesture",
             "audio_event_detection", "boosted_trees_missing_values", "keyword_spotting_tflite"}
#: Tutorials on MLPerf Tiny's model files, which they look for in TINYML_MODELS_DIR first: the kernel
#: runs in a temporary folder, not beside the repository.
MLPERF_TINY_TUTORIALS = {"keyword_spotting_tflite"}


def _generator():
    spec = importlib.util.spec_from_file_location("make_notebook", ROOT / "scripts" / "make_notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _outputs_text(nb) -> str:
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            texts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(texts)


def _check_header_compiles(header: Path, workdir: Path) -> None:
    """gcc -std=c99 -Werror -pedantic on the header, then run its <name>_validate() self-test (and
    <name>_features_validate() for a log-mel stage)."""
    match = re.search(r"static inline int (\w+)_validate\(void\)", header.read_text())
    assert match, f"{header.name} has no <name>_validate()"
    main = workdir / f"{header.stem}_main.c"
    checks = [f"{match.group(1)}_validate()"]
    if f"{match.group(1)}_features_validate(void)" in header.read_text():  # a log-mel stage's tables
        checks.append(f"{match.group(1)}_features_validate()")
    ok = " && ".join(f"{c} == TML_OK" for c in checks)
    main.write_text(f'#include "{header.name}"\nint main(void)\n{{\n    return {ok} ? 0 : 1;\n}}\n')
    exe = workdir / f"{header.stem}_main"
    build = subprocess.run(["gcc", *STRICT_FLAGS, "-I", str(header.parent), "-o", str(exe), str(main), "-lm"],
                           capture_output=True, text=True)
    assert build.returncode == 0, f"{header.name} does not compile:\n{build.stderr}"
    assert subprocess.run([str(exe)]).returncode == 0, f"{header.name}: the self-test failed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    if shutil.which("gcc") is None:
        pytest.fail("gcc is required to compile the headers the tutorials export")
    if path.stem in MLPERF_TINY_TUTORIALS:
        monkeypatch.setenv("TINYML_MODELS_DIR", str(mlperf_tiny_models_dir()))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    sources = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    assert "tinyml_lab.inspect(" in sources, f"{path.name} should show the Inspector widget"
    text = _outputs_text(nb)
    assert re.search(r"label agreement|max abs error", text), f"{path.name} should print an agreement report"
    headers = sorted(tmp_path.glob("*.h"))
    assert headers, f"{path.name} should end with an exported header"
    for header in headers:
        _check_header_compiles(header, tmp_path)


def test_the_tutorials_are_there():
    assert {p.stem for p in NOTEBOOKS} >= TUTORIALS, f"missing: {TUTORIALS - {p.stem for p in NOTEBOOKS}}"


def test_notebooks_match_their_generator():
    """The notebooks are generated: an edit belongs in scripts/make_notebook.py."""
    generator = _generator()
    for filename, cells in generator.NOTEBOOKS.items():
        nb = nbformat.read(ROOT / "notebooks" / filename, as_version=4)
        assert [(c.cell_type, c.source) for c in nb.cells] == list(cells), (
            f"notebooks/{filename} differs from scripts/make_notebook.py: run python scripts/make_notebook.py")
        assert all(c.get("outputs", []) == [] for c in nb.cells), f"notebooks/{filename} is stored with outputs"
