"""The compiler (//backend:compile) as a Bazel persistent worker, JSON protocol.

Importing torch and ExecuTorch costs seconds per process; a persistent worker
pays it once and then serves many ArmCompile actions. The arm_compile rule
(backend/defs.bzl) runs this binary with a params file:

  compile_worker @bazel-out/.../x.params         one compile, then exit (plain mode)
  compile_worker --persistent_worker             serve requests from stdin (worker mode)

In worker mode Bazel writes one JSON WorkRequest per line on stdin
(`{"arguments": [...], "inputs": [...], "requestId": 0}`, the arguments being
the params file's lines) and reads one JSON WorkResponse per line from stdout
(`{"exitCode": 0, "output": "...", "requestId": 0}`).

Both modes run the same `run()`: the flags are parsed from scratch and then
backend.compile's own `main` runs, so a request does exactly what
`compile --model=... --target=...` does. main reports usage errors by
sys.exit(2), which becomes the request's exit code. In worker mode each request
starts from the same state as the one before it:

- absl flags are unparsed (every flag back to its default) before parsing;
- torch._dynamo is reset; torch's, Python's and NumPy's random generators,
  torch's grad mode and default dtype, logger levels and handlers, warning
  filters, os.environ, sys.path and the working directory are put back as they
  were before the request;
- the modules a request imported from outside the Python installation (the
  model's own files and their imports, which are action inputs and not part
  of the worker's key) are forgotten, so the next request imports its own
  versions of them;
- file descriptors 1 and 2 point at a per-request file for the duration of the
  request, so everything the compile prints (Python, Vela, ExecuTorch, and C
  libraries writing to the descriptors directly) becomes the response's
  `output`; the protocol uses a private copy of the original stdout, and
  between requests descriptor 1 goes to the worker's stderr (Bazel's worker log);
- an exception or a usage error is the response (its text and a non-zero exit
  code), never the end of the worker.

A change to this file, compile.py or anything else in the binary's runfiles
changes the worker key's tool digest, so Bazel starts a new worker for it.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import json
import logging
import os
import random
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from absl import flags
from absl import logging as absl_logging

from backend import compile as compiler
from backend import errors

FLAGS = flags.FLAGS
PROGRAM = "compile"
PERSISTENT_WORKER = "--persistent_worker"

# What compile_model imports on its first call, imported once when the worker
# starts so that requests find them warm. Purely a speed-up: a module missing
# here is imported by the first request that needs it.
WARM_MODULES = (
    "torch",
    "torch._dynamo",
    "executorch.exir",
    "executorch.backends.arm.quantizer",
    "executorch.backends.arm.util._factory",
    "executorch.backends.arm.ethosu",
    "executorch.backends.arm.tosa.compile_spec",
    "torchao.quantization.pt2e.quantize_pt2e",
)


def expand_params(arguments: Sequence[str]) -> list[str]:
    """Replaces each @file argument by the file's lines (Bazel's "multiline" params format)."""
    expanded: list[str] = []
    for argument in arguments:
        if argument.startswith("@") and not argument.startswith("@@"):
            with open(argument[1:], encoding="utf-8") as params:
                expanded.extend(expand_params(params.read().splitlines()))
        else:
            expanded.append(argument)
    return expanded


def run(arguments: Sequence[str]) -> int:
    """One compile as the CLI runs it, flags parsed from scratch; returns its exit code."""
    FLAGS.unparse_flags()
    try:
        try:
            rest = FLAGS([PROGRAM, *arguments])
        except flags.Error as error:
            print(f"error: {error}", file=sys.stderr)
            return errors.EXIT_USAGE
        # As absl's app.run: log records go through absl's handler, at --verbosity.
        absl_logging.use_absl_handler()
        # main returns None, or an exit code should it ever return one.
        compile_main: Callable[[list[str]], object] = compiler.main
        status: object = compile_main(rest)
    except SystemExit as exit_:  # main's usage errors; --help and friends
        status = exit_.code
    if status is None:
        return 0
    if isinstance(status, int):
        return status
    print(status, file=sys.stderr)  # sys.exit("message") prints it and exits 1
    return 1


@dataclass
class _LoggerState:
    level: int
    handlers: list[logging.Handler]
    propagate: bool
    disabled: bool


def _loggers() -> dict[str, logging.Logger]:
    manager = logging.root.manager
    found = {name: logger for name, logger in manager.loggerDict.items() if isinstance(logger, logging.Logger)}
    found[""] = logging.root
    return found


def _logger_states() -> dict[str, _LoggerState]:
    return {
        name: _LoggerState(logger.level, list(logger.handlers), logger.propagate, logger.disabled)
        for name, logger in _loggers().items()
    }


def _restore_loggers(baseline: dict[str, _LoggerState]) -> None:
    """Loggers as in baseline; loggers created since get getLogger's defaults."""
    fresh = _LoggerState(logging.NOTSET, [], True, False)
    for name, logger in _loggers().items():
        state = baseline.get(name, fresh)
        logger.setLevel(state.level)
        logger.handlers[:] = state.handlers
        logger.propagate = state.propagate
        logger.disabled = state.disabled


_INSTALLATION = tuple(os.path.realpath(prefix) + os.sep for prefix in {sys.prefix, sys.base_prefix})


def _forget_model_modules(imported: set[str]) -> None:
    """Drops the modules among imported that do not come from the Python installation (the venv
    and the standard library), which the request's model brought."""
    for name in imported:
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        # A namespace package (a directory without __init__.py) has no file, only its directories.
        locations = [file] if isinstance(file, str) else [str(path) for path in getattr(module, "__path__", [])]
        if any(not os.path.realpath(location).startswith(_INSTALLATION) for location in locations):
            del sys.modules[name]


class Worker:
    """Serves WorkRequests one at a time, each from the same clean state."""

    def __init__(self) -> None:
        # The protocol owns the original stdin and stdout; what the process
        # itself sees as stdin is empty and its stdout goes to stderr.
        self._requests: IO[bytes] = os.fdopen(os.dup(0), "rb")
        self._responses: IO[str] = os.fdopen(os.dup(1), "w", encoding="utf-8")
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.dup2(2, 1)
        self._stderr = os.dup(2)
        for name in WARM_MODULES:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
        absl_logging.use_absl_handler()
        self._loggers = _logger_states()
        self._random = random.getstate()
        self._torch_state = self._save_torch()
        self._numpy_state = self._save_numpy()

    @staticmethod
    def _save_torch() -> tuple[Any, bool, Any] | None:
        if "torch" not in sys.modules:
            return None
        import torch

        return torch.random.get_rng_state(), torch.is_grad_enabled(), torch.get_default_dtype()

    @staticmethod
    def _save_numpy() -> Any:
        if "numpy" not in sys.modules:
            return None
        import numpy

        return numpy.random.get_state()

    def _reset(self) -> None:
        """Everything a compile may have changed, back to the worker's start."""
        if self._torch_state is None:
            self._torch_state = self._save_torch()
        if self._torch_state is not None:
            import torch
            import torch._dynamo

            torch._dynamo.reset()
            rng, grad, dtype = self._torch_state
            torch.random.set_rng_state(rng)
            torch.set_grad_enabled(grad)
            torch.set_default_dtype(dtype)
        if self._numpy_state is None:
            self._numpy_state = self._save_numpy()
        if self._numpy_state is not None:
            import numpy

            numpy.random.set_state(self._numpy_state)
        random.setstate(self._random)
        _restore_loggers(self._loggers)
        FLAGS.unparse_flags()
        gc.collect()

    @contextlib.contextmanager
    def _captured(self) -> Iterator[IO[bytes]]:
        """Descriptors 1 and 2 (and sys.stdout/sys.stderr over them) into a file."""
        with tempfile.TemporaryFile() as capture:
            self._flush()
            os.dup2(capture.fileno(), 1)
            os.dup2(capture.fileno(), 2)
            try:
                yield capture
            finally:
                self._flush()
                os.dup2(self._stderr, 1)
                os.dup2(self._stderr, 2)

    @staticmethod
    def _flush() -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        with contextlib.suppress(Exception):
            ctypes.CDLL(None).fflush(None)  # C stdio buffers of native libraries

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """One WorkRequest in, its WorkResponse out."""
        request_id = int(request.get("requestId", 0))
        if request.get("cancel"):
            return {"exitCode": 0, "output": "", "requestId": request_id, "wasCancelled": True}
        environ, cwd, path, modules = dict(os.environ), os.getcwd(), list(sys.path), set(sys.modules)
        with self._captured() as capture:
            with warnings.catch_warnings():
                try:
                    exit_code = run(expand_params([str(a) for a in request.get("arguments", [])]))
                except Exception:  # a broken compile is the request's failure, not the worker's
                    traceback.print_exc()
                    exit_code = 1
            os.chdir(cwd)
            os.environ.clear()
            os.environ.update(environ)
            sys.path[:] = path
            _forget_model_modules(set(sys.modules) - modules)
            try:
                self._reset()
            except Exception:
                traceback.print_exc()
                exit_code = exit_code or 1
            self._flush()
            capture.seek(0)
            output = capture.read().decode("utf-8", errors="replace")
        return {"exitCode": exit_code, "output": output, "requestId": request_id}

    def _read_request(self) -> dict[str, Any] | None:
        """The next request; a request may span lines. None at the end of stdin."""
        text = ""
        while True:
            line = self._requests.readline()
            if not line:
                if text.strip():
                    raise ValueError(f"incomplete work request at end of input: {text!r}")
                return None
            text += line.decode("utf-8")
            if not text.strip():
                text = ""
                continue
            try:
                request = json.loads(text)
            except json.JSONDecodeError:
                continue
            if not isinstance(request, dict):
                raise ValueError(f"a work request must be a JSON object, got {text!r}")
            return request

    def serve(self) -> int:
        while (request := self._read_request()) is not None:
            response = self.handle(request)
            self._responses.write(json.dumps(response, sort_keys=True) + "\n")
            self._responses.flush()
        return 0


def main(argv: Sequence[str]) -> int:
    if PERSISTENT_WORKER in argv[1:]:
        return Worker().serve()
    return run(expand_params(argv[1:]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
