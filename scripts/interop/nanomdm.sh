#!/bin/sh
# Interoperability check (issue 23): a virtual iPad of the mock Apple side enrolls through ADE
# into NanoMDM (with micromdm's scepserver) and answers its commands, EraseDevice with
# ReturnToService included. Prints PASS/FAIL per check; exits 0 only if all passed.
#
#   NANOMDM_BIN=… SCEPSERVER_BIN=…     the binaries (built from their sources, see docs/mdm-developers.md;
#                                      their code is never part of this repository)
#   MOCK_URL=http://127.0.0.1:8001     a running mock Apple service (ASM_SERVICE=apple)
#   MOCK_CONTROL_TOKEN=…               its control token (default: var/mock_control_token)
#   SERIAL=…                           a device of the mock organisation (MOCK_ORGANIZATION=<org_id>
#                                      picks the organisation); it is assigned, erased and enrolled
#   NANOMDM_PORT=9400 SCEP_PORT=9401 HOOK_PORT=9402 KEEP_WORKDIR=1 (keep the servers' logs)
set -eu
cd "$(dirname "$0")/../.."
: "${NANOMDM_BIN:?set NANOMDM_BIN (the path of the binary you built)}"
: "${SCEPSERVER_BIN:?set SCEPSERVER_BIN (the path of the binary you built)}"
: "${SERIAL:?set SERIAL to a device serial of the mock organisation}"
echo "nanomdm: $("$NANOMDM_BIN" -version 2>&1)  scepserver: $("$SCEPSERVER_BIN" -version 2>&1)"
exec "${PYTHON:-python3}" scripts/interop/nanomdm_check.py
