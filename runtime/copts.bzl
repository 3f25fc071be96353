"""Compiler flags of the runtime's own C++ code."""

# Warnings are errors in our code; the ExecuTorch headers come in through
# `includes` (-isystem), so only our code is held to these flags.
RUNNER_COPTS = [
    "-std=c++17",
    "-Wall",
    "-Wextra",
    "-Werror",
]
