"""Exceptions with messages that name the problem. All derive from TinyMLError."""


class TinyMLError(Exception):
    """Base class of every error TinyML Lab raises on purpose."""


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
