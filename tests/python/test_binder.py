"""Reproduces the Binder set-up (binder/environment.yml, then binder/postBuild) in a fresh
virtual environment, and checks that JupyterLab there lists the extension as enabled and OK,
that the tutorials' imports work and that convert/evaluate run.

The checkout is copied as a clone would have it (the files git tracks) plus the labextension
and compiler bundle that scripts/setup.sh built, so postBuild takes its "already built" path
and needs no Node; pip downloads come from its cache when setup.sh ran before.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BUILT = ["tinyml_lab/labextension/package.json", "tinyml_lab/labextension/static/style.js",
         "tinyml_lab/js/tinyml_core.js"]
PIP_TIMEOUT = 600  # seconds per pip step; a cold cache downloads JupyterLab, scikit-learn and JAX


def _run(args, *, env, cwd, timeout=600) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    command = " ".join(map(str, args))
    assert result.returncode == 0, (
        f"{command} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def _copy_checkout(target: Path) -> None:
    """The tracked files (as a fresh clone has them) plus the built extension."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is skipped
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    for folder in ("tinyml_lab/labextension", "tinyml_lab/js"):
        shutil.copytree(ROOT / folder, target / folder)


def _binder_pip_requirements() -> list[str]:
    environment = yaml.safe_load((ROOT / "binder" / "environment.yml").read_text())
    for dependency in environment["dependencies"]:
        if isinstance(dependency, dict) and "pip" in dependency:
            return [str(r) for r in dependency["pip"]]
    raise AssertionError("binder/environment.yml lists no pip requirements")


def _venv_env(venv: Path) -> dict[str, str]:
    """The environment of a shell with the venv activated and nothing of this test run's
    Python set-up (no PYTHONPATH pointing at the checkout, no user site packages)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "KERAS_BACKEND")}
    env.update(VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", PYTHONNOUSERSITE="1")
    return env


def _extension_status(listing: str, venv: Path) -> str | None:
    """The tinyml-lab line of `jupyter labextension list` under one of the venv's folders."""
    folder = None
    for line in re.sub(r"\x1b\[[0-9;]*m", "", listing).splitlines():  # without the colour codes
        if line.startswith("/"):
            folder = line.strip().split()[0]
        elif "tinyml-lab" in line and folder and Path(folder).resolve().is_relative_to(venv.resolve()):
            return line.strip()
    return None


SMOKE = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier
    import tinyml_lab

    X, y = load_iris(return_X_y=True)
    model = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    converted = tinyml_lab.convert(model, name="iris", dtype="int16")
    report = converted.evaluate(X, y)
    converted.save("iris.h")

    import keras  # the network tutorial: Keras 3 on JAX, from the [keras] extra
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    net_report = tinyml_lab.convert(net, name="net").evaluate(X.astype(np.float32))

    from xgboost import XGBClassifier  # the boosted-trees tutorial, from the [boosting] extra
    booster = XGBClassifier(n_estimators=3, max_depth=2, n_jobs=1).fit(X, y)
    boosted = tinyml_lab.convert(booster, name="boosted").evaluate(X.astype(np.float32))
    print(json.dumps({"module": tinyml_lab.__file__, "agreement": report.label_agreement,
                      "net_error": net_report.max_abs_error, "backend": keras.backend.backend(),
                      "boosted_agreement": boosted.label_agreement}))
""")


def test_binder_setup_in_a_fresh_virtual_environment(tmp_path):
    missing = [name for name in BUILT if not (ROOT / name).is_file()]
    assert not missing, (f"the prebuilt extension is missing ({', '.join(missing)}): run scripts/setup.sh or "
                         "npm run build:prod first; Binder's postBuild builds it with npm")
    checkout, venv, work = tmp_path / "checkout", tmp_path / "venv", tmp_path / "work"
    _copy_checkout(checkout)
    work.mkdir()

    _run([sys.executable, "-m", "venv", venv], env=dict(os.environ), cwd=tmp_path, timeout=300)
    env = _venv_env(venv)
    python = venv / "bin" / "python"
    _run([python, "-m", "pip", "install", "-q", *_binder_pip_requirements()], env=env, cwd=tmp_path,
         timeout=PIP_TIMEOUT)
    post_build = _run(["bash", checkout / "binder" / "postBuild"], env=env, cwd=checkout, timeout=PIP_TIMEOUT)
    assert "already built" in post_build.stdout, post_build.stdout  # no npm: the copied build is used

    listing = _run([venv / "bin" / "jupyter", "labextension", "list"], env=env, cwd=work)
    status = _extension_status(listing.stdout + listing.stderr, venv)
    assert status, f"tinyml-lab is not listed under the venv:\n{listing.stdout}{listing.stderr}"
    assert re.search(r"tinyml-lab v\S+ enabled\s+OK", status), status

    # binder/start sets the Keras backend before JupyterLab (and its kernels) start
    smoke = _run(["bash", checkout / "binder" / "start", python, "-c", SMOKE], env=env, cwd=work)
    result = json.loads(smoke.stdout.strip().splitlines()[-1])
    assert Path(result["module"]).resolve().is_relative_to(venv.resolve()), result["module"]  # the installed copy
    assert result["agreement"] == 1.0 and result["net_error"] < 1e-5 and result["backend"] == "jax"
    assert result["boosted_agreement"] == 1.0
    assert "#define IRIS_N_FEATURES 4" in (work / "iris.h").read_text()

    version = _run([venv / "bin" / "tinyml-lab", "--version"], env=env, cwd=work)
    assert version.stdout.startswith("tinyml-lab ")
