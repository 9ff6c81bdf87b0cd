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

Arrays travel as bytes, not as base64 text inside the JSON. mini-racer passes Python
strings into V8 but hands a JavaScript ArrayBuffer back as a memoryview of V8's own memory:
so before a call the core opens an input buffer of the size needed
(``headless.beginBinaryCall``), Python writes every array of the arguments into it, and the
JSON names them as ``{"dtype", "shape", "blob": [offset, bytes]}``; the arrays the call gives
back come the same way (``headless.endBinaryCall``) and reach the caller as numpy arrays.
A large forest's IR is then a small JSON text and one copy of its tables.
"""

from __future__ import annotations

import atexit
import base64
import ctypes
import json
import math
import os
import threading
from importlib import resources
from typing import Any

import numpy as np

from .arrays import _DTYPES, IRArray
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
        _start_v8()
        ctx = MiniRacer()
        ctx.eval(bundle.read_text(encoding="utf-8"))
        _context, _pid = ctx, os.getpid()
        _functions.clear()
    return _context


#: V8 flags beyond mini-racer's own (``--single-threaded``). ``--no-liftoff`` compiles the
#: WebAssembly runtime with the optimizing compiler at once: single-threaded V8 never tiers
#: up from its baseline compiler (that is done on background threads), and the device run
#: stayed at Liftoff's speed. Measured on a 500-tree digits forest: 8 -> 21 M tree walks/s,
#: one-row calls 4.0 -> 2.1 ms, the first call unchanged (20-30 ms).
V8_FLAGS = ("--no-liftoff",)


def _start_v8() -> None:
    """Starts V8 with our flags, unless this process started it already (another library,
    or an earlier context): V8 takes flags once per process, and then keeps its own."""
    from py_mini_racer import DEFAULT_V8_FLAGS, init_mini_racer  # noqa: PLC0415

    init_mini_racer(flags=(*DEFAULT_V8_FLAGS, *V8_FLAGS), ignore_duplicate_init=True)


#: function handles of the current context, by name: looking one up costs an eval
_functions: dict[str, Any] = {}


def _function(name: str) -> Any:
    """TinyMLCore.headless.<name> in the current context (call _core() first)."""
    if name not in _functions:
        _functions[name] = _context.eval(f"TinyMLCore.headless.{name}")
    return _functions[name]


def _close() -> None:
    """Closes V8 before the interpreter tears down: left to garbage collection at exit,
    mini-racer's V8 thread sometimes never lets the process end. A context inherited
    through a fork is not closed: its threads are not in this process."""
    global _context
    with _lock:
        if _context is not None and _pid == os.getpid():
            _functions.clear()  # their handles first, while the context is open
            _context.close()
        _context = None


atexit.register(_close)


def _forget_inherited_context() -> None:
    """Drops a context made by the parent process, so that this process never touches it.
    Closing it waits for the parent's V8 thread forever, and so does its destructor, which
    would otherwise run when the interpreter ends: an extra reference keeps it alive to the
    end, past the teardown of the module that holds it. The same holds for the function
    handles of that context (_functions)."""
    global _context
    if _context is not None:
        # the function handles too: freeing one calls into the parent's V8 as well
        for inherited in (_context, *_functions.values()):
            _abandoned.append(inherited)
            if hasattr(ctypes, "pythonapi"):  # CPython
                ctypes.pythonapi.Py_IncRef(ctypes.py_object(inherited))
        _functions.clear()
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


#: Offsets of the arrays in a binary exchange are multiples of this: every typed array of the
#: core can then be a view of the buffer, with no copy.
_ALIGN = 8


def _take_arrays(value: Any, blobs: list[tuple[int, np.ndarray]], size: list[int]) -> Any:
    """``value`` with every array (an IRArray, or the JSON form {dtype, shape, data}) replaced by
    {dtype, shape, blob: [offset, bytes]}; each array's bytes join ``blobs`` at that offset and
    ``size[0]`` is the exchange's length so far. Parts without an array are the same objects.
    Base64 that does not decode is left as it is, for the core to name the argument."""
    if isinstance(value, IRArray):
        return {"dtype": value.dtype, "shape": list(value.array.shape), "blob": _blob(value.array, blobs, size)}
    if isinstance(value, dict):
        if isinstance(value.get("data"), str) and value.get("dtype") in _DTYPES:
            try:
                data = np.frombuffer(base64.b64decode(value["data"], validate=True), dtype=np.uint8)
            except ValueError:
                return value
            return {"dtype": value["dtype"], "shape": value.get("shape"), "blob": _blob(data, blobs, size)}
        taken = {k: _take_arrays(v, blobs, size) for k, v in value.items()}
        return value if all(taken[k] is v for k, v in value.items()) else taken
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (dict, list, IRArray)):
        items = [_take_arrays(v, blobs, size) for v in value]
        return value if all(a is b for a, b in zip(items, value)) else items
    return value


def _blob(array: np.ndarray, blobs: list[tuple[int, np.ndarray]], size: list[int]) -> list[int]:
    """Places a C-contiguous array at the next aligned offset of the exchange."""
    offset = -(-size[0] // _ALIGN) * _ALIGN
    blobs.append((offset, array))
    size[0] = offset + array.nbytes
    return [offset, array.nbytes]


def _give_arrays(value: Any, out: memoryview) -> Any:
    """``value`` with every {dtype, shape, blob} the core gave back replaced by a numpy array
    (copied out of ``out``, the call's output bytes)."""
    if isinstance(value, dict):
        if "blob" in value and value.get("dtype") in _DTYPES:
            offset, nbytes = value["blob"]
            dtype = np.dtype(_DTYPES[value["dtype"]])
            return np.frombuffer(out, dtype=dtype, count=nbytes // dtype.itemsize, offset=offset
                                 ).reshape(value["shape"]).copy()
        return {k: _give_arrays(v, out) for k, v in value.items()}
    if isinstance(value, list) and value and isinstance(value[0], (dict, list)):
        return [_give_arrays(v, out) for v in value]
    return value


def call(function: str, *args: Any) -> dict[str, Any]:
    """Calls TinyMLCore.headless.<function> with JSON-encoded arguments; raises on error.
    Arrays in the arguments (IRArrays, or encoded arrays) go as bytes, and the arrays of the
    answer come back as numpy arrays (see the module's docstring).

    The JSON texts go to the function as JavaScript strings (a function handle), not through
    MiniRacer.call, which would JSON-encode them a second time."""
    blobs: list[tuple[int, np.ndarray]] = []
    size = [0]
    taken = [_take_arrays(a, blobs, size) for a in args]
    encoded = [_encode(function, i, a) for i, a in enumerate(taken)]
    with _lock:
        _core()
        inbox = _function("beginBinaryCall")(size[0])
        try:
            if blobs:
                target = np.frombuffer(inbox, dtype=np.uint8)
                for offset, array in blobs:
                    target[offset:offset + array.nbytes] = array.reshape(-1).view(np.uint8)
            del inbox
            raw = _function(function)(*encoded)
        finally:
            out = _function("endBinaryCall")()
        result = _give_arrays(json.loads(raw), out)
        del out
    if not result.pop("ok"):
        error = InvalidInputError if result["kind"] == "InputError" else CompilerError
        raise error(result["error"])
    return result
