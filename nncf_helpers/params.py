"""Validation of notebook parameters.

papermill passes ``-p NAME VALUE`` values as strings or as its guess of their type, and a
YAML file may hold any type, so each check accepts the forms a user would type, converts
them, and raises :class:`ParameterError` naming the parameter, the value and what is
allowed. Notebooks call these before doing any work.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from nncf_helpers.paths import resolve

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off", ""}


class ParameterError(ValueError):
    """A notebook parameter has the wrong type or is out of range."""


def _fail(name: str, value, expected: str):
    raise ParameterError(f"Parameter {name}={value!r} is invalid: expected {expected}.")


def check_int(name: str, value, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an int within ``[minimum, maximum]``."""
    limits = _range_text(minimum, maximum)
    expected = f"an integer{limits}"
    if isinstance(value, bool):
        _fail(name, value, expected)
    if isinstance(value, str):
        text = value.strip().replace("_", "")
        try:
            value = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                _fail(name, value, expected)
            if not number.is_integer():
                _fail(name, value, expected)
            value = int(number)
    elif isinstance(value, float):
        if not value.is_integer():
            _fail(name, value, expected)
        value = int(value)
    elif not isinstance(value, int):
        _fail(name, value, expected)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        _fail(name, value, expected)
    return int(value)


def check_float(name: str, value, low: float, high: float, low_open: bool = False,
                high_open: bool = False) -> float:
    """Return ``value`` as a finite float in the interval from ``low`` to ``high``."""
    interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    expected = f"a number in {interval}"
    if isinstance(value, bool):
        _fail(name, value, expected)
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        _fail(name, value, expected)
    if not math.isfinite(number):
        _fail(name, value, expected)
    if number < low or number > high or (low_open and number == low) or (
        high_open and number == high
    ):
        _fail(name, value, expected)
    return number


def check_bool(name: str, value) -> bool:
    """Return ``value`` as a bool; accepts true/false, yes/no, 1/0 in any case."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    _fail(name, value, "True or False")


def check_choice(name: str, value, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        _fail(name, value, f"one of {', '.join(repr(choice) for choice in choices)}")
    return value


def check_text(name: str, value) -> str:
    """Return ``value`` as a string (``None`` becomes ``""``)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        _fail(name, value, "a string")
    return value


def check_int_list(name: str, value, minimum: int = 1) -> list[int]:
    """Return a list of ints from a list or a comma-separated string such as ``"200,100"``."""
    expected = f"a list of integers >= {minimum}, such as [200, 100, 50, 20] or '200,100,50,20'"
    if isinstance(value, str):
        parts = [part.strip() for part in value.strip("[]() ").split(",") if part.strip()]
    elif isinstance(value, (list, tuple)):
        parts = list(value)
    else:
        _fail(name, value, expected)
    if not parts:
        _fail(name, value, expected)
    try:
        return [check_int(name, part, minimum=minimum) for part in parts]
    except ParameterError:
        _fail(name, value, expected)


def check_folder(name: str, value, must_exist: bool = True) -> Path:
    """Return ``value`` as a folder path resolved against the project root."""
    if not isinstance(value, (str, Path)) or not str(value).strip():
        _fail(name, value, "a folder path")
    path = resolve(value).resolve()
    if path.exists() and not path.is_dir():
        raise ParameterError(
            f"Parameter {name}={str(value)!r} is invalid: {path} is a file, not a folder."
        )
    if must_exist and not path.is_dir():
        reason = "is a file" if path.exists() else "does not exist"
        raise ParameterError(
            f"Parameter {name}={str(value)!r} is invalid: the folder {path} {reason}."
        )
    return path


def check_balanced_samples(samples, sample_size, seed) -> dict:
    """Check the class-balanced test sample settings of 03_evaluate and 04_compare_checkpoints.

    04_compare_checkpoints reuses the results of 03_evaluate when these settings are equal,
    so both notebooks build them here.
    """
    return {
        "BALANCED_SAMPLES": check_int("BALANCED_SAMPLES", samples, minimum=1),
        "BALANCED_SAMPLE_SIZE": check_int("BALANCED_SAMPLE_SIZE", sample_size, minimum=2),
        "SEED": check_int("SEED", seed, minimum=0),
    }


def _range_text(minimum, maximum) -> str:
    if minimum is not None and maximum is not None:
        return f" in [{minimum}, {maximum}]"
    if minimum is not None:
        return f" >= {minimum}"
    if maximum is not None:
        return f" <= {maximum}"
    return ""
