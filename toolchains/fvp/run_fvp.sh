#!/usr/bin/env bash
# Runs a program on an Arm FVP for a test and decides the verdict strictly:
# pass only if the FVP exits 0 AND the program printed the pass line. A missing
# FVP, a simulator that never started, a hard fault or a timeout all fail.
#
#   run_fvp.sh --fvp BIN --program ELF --pass_line TEXT --timelimit S -- FVP_ARGS...
set -uo pipefail

fvp="" program="" pass_line="" timelimit=600
while [[ $# -gt 0 ]]; do
  case "$1" in
    --fvp) fvp="$2"; shift 2 ;;
    --program) program="$2"; shift 2 ;;
    --pass_line) pass_line="$2"; shift 2 ;;
    --timelimit) timelimit="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "run_fvp: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n "${fvp}" && -n "${program}" && -n "${pass_line}" ]] || { echo "run_fvp: --fvp, --program and --pass_line are required" >&2; exit 2; }
[[ -x "${fvp}" ]] || { echo "FAIL: FVP ${fvp} is missing or not executable" >&2; exit 1; }
[[ -f "${program}" ]] || { echo "FAIL: program ${program} is missing" >&2; exit 1; }

# Outside a test, a fresh file: a fixed name in a shared /tmp could be another
# user's symlink, which the redirection below would follow.
if [[ -n "${TEST_UNDECLARED_OUTPUTS_DIR:-}" ]]; then
  log="${TEST_UNDECLARED_OUTPUTS_DIR}/fvp.log"
  mkdir -p "${TEST_UNDECLARED_OUTPUTS_DIR}"
else
  log="$(mktemp "${TMPDIR:-/tmp}/fvp.XXXXXXXX.log")" || { echo "FAIL: cannot create a log file" >&2; exit 1; }
fi
# Wall-clock guard on top of the FVP's own simulated time limit.
timeout --kill-after=10 "$((timelimit + 60))" \
  "${fvp}" "$@" --timelimit "${timelimit}" -C "cpu0.semihosting-cwd=${PWD}" -a "${program}" \
  > "${log}" 2>&1
status=$?
cat "${log}"

if [[ ${status} -eq 124 || ${status} -eq 137 ]]; then
  echo "FAIL: the FVP did not finish within $((timelimit + 60)) s" >&2; exit 1
fi
if [[ ${status} -ne 0 ]]; then
  echo "FAIL: the FVP exited ${status}" >&2; exit 1
fi
if grep -qiE 'hard ?fault' "${log}"; then
  echo "FAIL: the program hard-faulted" >&2; exit 1
fi
if ! grep -qF -- "${pass_line}" "${log}"; then
  echo "FAIL: the FVP exited 0 but the program never printed '${pass_line}'" >&2; exit 1
fi
echo "PASS: '${pass_line}' seen and the FVP exited 0"
