"""The embedded V8 after os.fork: a forked child makes its own engine instead of waiting forever
on the parent's (whose threads it does not have), with multiprocessing's fork pools,
concurrent.futures, joblib's multiprocessing and loky backends around convert and sweep, and a
child that simply exits. Each case runs in its own process group under a timeout: a hang fails
the test instead of blocking the run, and no worker process may outlive it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: seconds a case may take; each takes a few seconds when nothing hangs
TIMEOUT = 180

SCRIPT = r'''
import concurrent.futures
import multiprocessing as mp
import os
import sys

import joblib
from sklearn.datasets import load_iris
from sklearn.tree import DecisionTreeClassifier

import tinyml_lab

mp.set_start_method("fork", force=True)  # joblib's multiprocessing backend forks then, on every Python
X, y = load_iris(return_X_y=True)
model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)


def header(i):
    return tinyml_lab.convert(model, name=f"m{i}").header


def sweep_records(n_jobs):
    result = tinyml_lab.sweep(model, X, y, n_jobs=n_jobs, dtypes=("float32", "int16"), strategies=("tables",),
                              target="cortex-m4f")
    return result.to_records()


def check(got, want, what):
    if got != want:
        sys.exit(f"{what}: the workers' results differ from the parent's")


if __name__ == "__main__":
    case = sys.argv[1]
    # V8 runs in the parent before any fork: what the children inherit
    headers = [header(i) for i in range(4)]
    if case == "fork-pool":
        with mp.get_context("fork").Pool(2) as pool:
            check(pool.map(header, range(4)), headers, case)
    elif case == "process-pool-executor":
        with concurrent.futures.ProcessPoolExecutor(2, mp_context=mp.get_context("fork")) as executor:
            check(list(executor.map(header, range(4))), headers, case)
    elif case in ("joblib-multiprocessing", "joblib-loky"):
        backend = case.split("-", 1)[1]
        serial = sweep_records(1)
        with joblib.parallel_config(backend=backend):
            check(joblib.Parallel(n_jobs=2)(joblib.delayed(header)(i) for i in range(4)), headers, case)
            check(sweep_records(2), serial, case)
    elif case == "forked-child-exits":
        # a child that only exits (atexit, interpreter teardown) and one that converts first
        for work in (False, True):
            pid = os.fork()
            if pid == 0:
                if work and header(0) != headers[0]:
                    sys.exit(3)
                sys.exit(0)
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                sys.exit(f"{case}: the forked child exited with {os.waitstatus_to_exitcode(status)}")
    elif case == "fork-while-converting":
        import threading

        stop = threading.Event()

        def busy():
            while not stop.is_set():
                header(9)

        thread = threading.Thread(target=busy)
        thread.start()
        try:
            for _ in range(3):
                with mp.get_context("fork").Pool(2) as pool:
                    check(pool.map(header, range(4)), headers, case)
        finally:
            stop.set()
            thread.join()
    else:
        sys.exit(f"unknown case {case}")
    print("ok")
'''


def _live_group_members(pgid: int) -> list[int]:
    """Processes of process group pgid that are still running (zombies left out; Linux's /proc)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state != "Z":
            members.append(int(stat.parent.name))
    return members


@pytest.mark.parametrize("case", ["fork-pool", "process-pool-executor", "joblib-multiprocessing", "joblib-loky",
                                  "forked-child-exits", "fork-while-converting"])
def test_forked_workers_convert_and_leave_nothing_behind(tmp_path, case):
    script = tmp_path / "fork_case.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, KERAS_BACKEND="jax")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, str(script), case], cwd=tmp_path, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"{case}: no answer after {TIMEOUT} s: a worker waits on the parent's V8")
    assert process.returncode == 0 and out.strip() == "ok", (process.returncode, out, err)
    deadline = time.monotonic() + 20  # loky's workers end by themselves, shortly after their parent
    while _live_group_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _live_group_members(process.pid)
    if left:
        os.killpg(process.pid, signal.SIGKILL)
    assert not left, f"{case}: worker processes {left} outlived the run"
    print(f"{case}: {time.monotonic() - started:.1f} s")
