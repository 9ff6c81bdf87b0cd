"""Runs the TypeScript compiler core (tinyml_lab/js/tinyml_core.js) inside an embedded V8.

The browser widget runs the very same bundle, so the headless API and the widget cannot
drift apart. py_mini_racer ships V8 in its wheel: no Node, no browser.
"""

from __future__ import annotations

import atexit
import json
import threading
from importlib import resources
from typing import Any

from .errors import CompilerError, InvalidInputError

_lock = threading.Lock()
_context = None


def _core() -> Any:
    global _context
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
        _context = ctx
        # Close V8 before the interpreter tears down: left to garbage collection at exit,
        # mini-racer's V8 thread sometimes never lets the process end.
        atexit.register(_close)
    return _context


def _close() -> None:
    global _context
    with _lock:
        if _context is not None:
            _context.close()
            _context = None


def call(function: str, *args: Any) -> dict[str, Any]:
    """Calls TinyMLCore.headless.<function> with JSON-encoded arguments; raises on error.

    The JSON texts go to the function as JavaScript strings (a function handle), not through
    MiniRacer.call, which would JSON-encode them a second time: an IR of a large forest is tens
    of megabytes."""
    encoded = [json.dumps(a, allow_nan=False) for a in args]
    with _lock:
        raw = _core().eval(f"TinyMLCore.headless.{function}")(*encoded)
    result = json.loads(raw)
    if not result.pop("ok"):
        error = InvalidInputError if result["kind"] == "InputError" else CompilerError
        raise error(result["error"])
    return result
