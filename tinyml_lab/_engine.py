"""Runs the TypeScript compiler core (tinyml_lab/js/tinyml_core.js) inside an embedded V8.

The browser widget runs the very same bundle, so the headless API and the widget cannot
drift apart. py_mini_racer ships V8 in its wheel: no Node, no browser.

Forked processes. A MiniRacer context lives on threads of the process that made it (V8's
isolate thread and an asyncio loop thread); ``os.fork`` copies the context but not its
threads, so a child that calls it, or closes it, waits forever. After a fork the child
therefore drops the parent's context without closing it (an extra reference keeps its
destructor from ever running, even at interpreter exit) and makes its own on the next call:
a fresh context works in a forked child, since mini-racer runs V8 ``--single-threaded`` (no
worker threads to lose). A fork waits for a call in progress (``_lock``), so the child never
starts from a V8 in mid-call. (loky, spawn and forkserver workers start afresh anyway.)
"""

from __future__ import annotations

import atexit
import ctypes
import json
import math
import os
import threading
from importlib import resources
from typing import Any

from .errors import CompilerError, InvalidInputError, InvalidModelError

_lock = threading.Lock()
_context = None
_pid: int | None = None
#: contexts inherited through a fork: never used or closed in this process (see above)
_abandoned: list[Any] = []


def _core() -> Any:
    global _context, _pid
    if _context is not None and _pid != os.getpid():
        _forget_inherited_context()  # a fork that bypassed the fork hooks (os.fork from C, ...)
    if _context is None:
        from py_mini_racer import MiniRacer  # noqa: PLC0415 - V8 starts on the first call, not on import

        bundle = resources.files("tinyml_lab").joinpath("js", "tinyml_core.js")
        if not bundle.is_file():
            raise CompilerError(
                "the compiler bundle tinyml_lab/js/tinyml_core.js is missing; "
                "build it with `npm run build:prod` (or reinstall tinyml-lab)"
            )
        ctx = MiniRacer()
        ctx.eval(bundle.read_text(encoding="utf-8"))
        _context, _pid = ctx, os.getpid()
    return _context


def _close() -> None:
    """Closes V8 before the interpreter tears down: left to garbage collection at exit,
    mini-racer's V8 thread sometimes never lets the process end. A context inherited
    through a fork is not closed: its threads are not in this process."""
    global _context
    with _lock:
        if _context is not None and _pid == os.getpid():
            _context.close()
        _context = None


atexit.register(_close)


def _forget_inherited_context() -> None:
    """Drops a context made by the parent process, so that this process never touches it.
    Closing it waits for the parent's V8 thread forever, and so does its destructor, which
    would otherwise run when the interpreter ends: an extra reference keeps it alive to the
    end, past the teardown of the module that holds it."""
    global _context
    if _context is not None:
        _abandoned.append(_context)
        if hasattr(ctypes, "pythonapi"):  # CPython
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(_context))
        _context = None


def _before_fork() -> None:
    _lock.acquire()  # no call in progress while the process is copied


def _after_fork_in_parent() -> None:
    _lock.release()


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.Lock()  # a fresh one: the parent's was held through the fork (_before_fork)
    _forget_inherited_context()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)


def _first_non_finite(value: Any, path: str = "") -> tuple[str, float] | None:
    """Where in a JSON-like value the first NaN or infinite float is ("trees[3].output", ...)
    and that value."""
    if isinstance(value, float):
        return None if math.isfinite(value) else (path or "the top level", value)
    if isinstance(value, dict):
        items = ((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for where, item in items:
        found = _first_non_finite(item, where)
        if found is not None:
            return found
    return None


def _encode(function: str, position: int, value: Any) -> str:
    """JSON of one argument. JSON has no NaN: a non-finite float the readers let through is
    named by its path in the argument (the IR, for the first), never by the JSON library."""
    try:
        return json.dumps(value, allow_nan=False)
    except ValueError:
        found = _first_non_finite(value)
        if found is None:
            raise
        where, bad = found
        what = "the model's IR" if position == 0 else f"argument {position + 1} of {function}"
        raise InvalidModelError(
            f"{what} has {bad} at {where}; a header cannot hold NaN or infinite constants, so a fitted "
            "attribute of the model is not finite: refit the model, or set that attribute to a finite value"
        ) from None


def call(function: str, *args: Any) -> dict[str, Any]:
    """Calls TinyMLCore.headless.<function> with JSON-encoded arguments; raises on error.

    The JSON texts go to the function as JavaScript strings (a function handle), not through
    MiniRacer.call, which would JSON-encode them a second time: an IR of a large forest is tens
    of megabytes."""
    encoded = [_encode(function, i, a) for i, a in enumerate(args)]
    with _lock:
        raw = _core().eval(f"TinyMLCore.headless.{function}")(*encoded)
    result = json.loads(raw)
    if not result.pop("ok"):
        error = InvalidInputError if result["kind"] == "InputError" else CompilerError
        raise error(result["error"])
    return result
