"""The compiler's two kinds of failure and their exit statuses."""

from __future__ import annotations

EXIT_DOES_NOT_COMPILE = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the user (flags, model files, inputs): one line on stderr, exit status 2."""


class CompileError(Exception):
    """The model cannot be compiled for the target; the message names the operator and why. Exit status 1."""
