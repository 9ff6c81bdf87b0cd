"""Exceptions with messages that name the problem. All derive from TinyMLError.

In IPython and Jupyter an error raised on purpose shows as its message and the line of the
user's code that led to it, not a traceback through the package's own frames: the message
already says what is wrong and how to fix it. ``tinyml_lab.show_traceback()`` prints the
full traceback of the last error when it is wanted (a bug report)."""

from __future__ import annotations

import linecache
import sys
import traceback
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_RED, _DIM, _RESET = "\x1b[31m", "\x1b[2m", "\x1b[0m"


class TinyMLError(Exception):
    """Base class of every error TinyML Lab raises on purpose."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of the traceback (its hook for exceptions that format
        themselves): the error's name and message, the user's line that called the package,
        and how to see the rest."""
        lines = [f"{_RED}{type(self).__name__}{_RESET}: {self}"]
        caller = _calling_line(self.__traceback__)
        if caller:
            lines.append(f"{_DIM}  in your code: {caller}{_RESET}")
        lines.append(f"{_DIM}  (the full traceback: tinyml_lab.show_traceback()){_RESET}")
        return lines


class UnsupportedModelError(TinyMLError, TypeError):
    """The estimator class (or one of its settings) is not supported."""


class NotFittedError(TinyMLError, ValueError):
    """The estimator has not been fitted yet."""


class InvalidModelError(TinyMLError, ValueError):
    """The fitted model holds values that cannot be exported (NaN or infinite weights, ...)."""


class InvalidInputError(TinyMLError, ValueError):
    """Feature data is unusable: NaN or infinite values, wrong shape or feature count."""


class CompilerError(TinyMLError, ValueError):
    """The compiler core rejected the model IR or the options."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, for one-line errors that quote another
    library's ("no details" when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else "no details"


def _calling_line(tb) -> str:
    """The last line outside this package before the traceback enters it: the user's call."""
    caller = ""
    for frame, line_number in traceback.walk_tb(tb):
        if Path(frame.f_code.co_filename).resolve().is_relative_to(_PACKAGE_DIR):
            break
        caller = linecache.getline(frame.f_code.co_filename, line_number).strip()
    return caller


def show_traceback() -> None:
    """Print the full traceback of the last error in this IPython session (or Python shell),
    which TinyML Lab's errors otherwise show as one message."""
    error = getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
    if error is None:
        print("no error to show: the last cell ran without one")
        return
    traceback.print_exception(type(error), error, error.__traceback__, file=sys.stdout)
