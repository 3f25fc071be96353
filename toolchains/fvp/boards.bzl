"""Each board's FVP: one row per board, data only.

BUILD.bazel makes one //toolchains/fvp:toolchain_type toolchain per row, matched
by the board constraint of the target platform; fvp_test (defs.bzl) runs with
the row's facts:
  model: the @fvp_<model> repository (extensions.bzl) that installs the FVP
  executable: which of that FVP's binaries simulates the board
  constraint: the board's constraint_value (//toolchains/platforms)
  parameters: -C parameters, as upstream ExecuTorch's run scripts set them: no
    GUI or telnet, UART to stdout, shut down at the UART's EOT, the NPU's MACs,
    semihosting on
  semihosting_cwd: the -C parameter naming semihosting's working directory
  timeout: seconds the FVP may run (its --timelimit)

Corstone-1000 has no row: its FVP boots a Linux image, not a bare-metal program
(README.md, "Platforms").
"""

FVP_BOARDS = {
    "corstone300": {
        "model": "corstone300",
        "executable": "FVP_Corstone_SSE-300_Ethos-U55",
        "constraint": "//toolchains/platforms:corstone300_board",
        "parameters": [
            "mps3_board.visualisation.disable-visualisation=1",
            "mps3_board.telnetterminal0.start_telnet=0",
            "mps3_board.uart0.out_file=-",
            "mps3_board.uart0.shutdown_on_eot=1",
            "ethosu.num_macs=128",
            "cpu0.semihosting-enable=1",
        ],
        "semihosting_cwd": "cpu0.semihosting-cwd",
        "timeout": 600,
    },
    "corstone320": {
        "model": "corstone320",
        "executable": "FVP_Corstone_SSE-320",
        "constraint": "//toolchains/platforms:corstone320_board",
        "parameters": [
            "mps4_board.visualisation.disable-visualisation=1",
            "mps4_board.telnetterminal0.start_telnet=0",
            "mps4_board.uart0.out_file=-",
            "mps4_board.uart0.shutdown_on_eot=1",
            "mps4_board.subsystem.ethosu.num_macs=256",
            "mps4_board.subsystem.cpu0.semihosting-enable=1",
        ],
        "semihosting_cwd": "mps4_board.subsystem.cpu0.semihosting-cwd",
        "timeout": 600,
    },
}
