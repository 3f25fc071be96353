#!/usr/bin/env bash
# Runs a bare-metal program on qemu-system-arm with semihosting for a test.
# Passes only if QEMU's exit status (the program's exit code through
# semihosting) equals the expected one AND every expected line was printed;
# a QEMU that does not start, hangs past the timeout or prints nothing fails.
#
#   run_qemu.sh --qemu BIN --machine M --program ELF [--expect_exit N]
#               [--expect TEXT]... [--timeout S] [-- PROGRAM_ARGS...]
set -uo pipefail

qemu="" machine="" program="" expect_exit=0 timeout_s=60
expects=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --qemu) qemu="$2"; shift 2 ;;
    --machine) machine="$2"; shift 2 ;;
    --program) program="$2"; shift 2 ;;
    --expect_exit) expect_exit="$2"; shift 2 ;;
    --expect) expects+=("$2"); shift 2 ;;
    --timeout) timeout_s="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "run_qemu: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -x "${qemu}" ]] || { echo "FAIL: QEMU ${qemu} is missing or not executable" >&2; exit 1; }
[[ -f "${program}" ]] || { echo "FAIL: program ${program} is missing" >&2; exit 1; }

# {TEST_TMPDIR} in an argument becomes the test's writable scratch directory.
scratch="${TEST_TMPDIR:-${TMPDIR:-/tmp}}"
semihosting="enable=on,target=native,arg=$(basename "${program}")"
for arg in "$@"; do semihosting+=",arg=${arg//\{TEST_TMPDIR\}/${scratch}}"; done

log="${TEST_UNDECLARED_OUTPUTS_DIR:-${TMPDIR:-/tmp}}/qemu.log"
mkdir -p "$(dirname "${log}")"
timeout --kill-after=5 "${timeout_s}" "${qemu}" -M "${machine}" -nographic -no-reboot \
  -semihosting-config "${semihosting}" -kernel "${program}" > "${log}" 2>&1 < /dev/null
status=$?
cat "${log}"

if [[ ${status} -eq 124 || ${status} -eq 137 ]]; then
  echo "FAIL: QEMU did not finish within ${timeout_s} s" >&2; exit 1
fi
if [[ ! -s "${log}" ]]; then
  echo "FAIL: the program printed nothing (exit ${status})" >&2; exit 1
fi
if [[ ${status} -ne ${expect_exit} ]]; then
  echo "FAIL: exit status ${status}, expected ${expect_exit}" >&2; exit 1
fi
for text in "${expects[@]}"; do
  if ! grep -qF -- "${text}" "${log}"; then
    echo "FAIL: expected output '${text}' not found" >&2; exit 1
  fi
done
echo "PASS: exit ${status} and ${#expects[@]} expected line(s) seen"
