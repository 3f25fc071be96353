"""The Corstone boards the examples run on: name -> (the NPU's short name in target names, description)."""

ETHOS_U_BOARDS = {
    "corstone300": ("u55", "Corstone-300 (Cortex-M55 + Ethos-U55-128)"),
    "corstone320": ("u85", "Corstone-320 (Cortex-M85 + Ethos-U85-256)"),
}
