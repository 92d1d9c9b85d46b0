#!/usr/bin/env bash
# with_osken.sh TEST_SCRIPT [ARGS]: runs an e2e test of this directory (l3_migration_test.sh,
# wire_reaction_test.sh) with the benchmarks' os-ken peer (tests/bench/peers/osken, the paper's
# design as an os-ken app) as the controller instead of vmnctl-ofc: the proof that the baseline
# really implements the design, measured the same way. Skipped (exit 77) without os-ken
# (Debian package python3-os-ken).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
(($# >= 1)) || { echo "usage: $0 TEST_SCRIPT [ARGS]" >&2; exit 2; }
script=$1
shift
peer="$here/../bench/peers/osken/run-osken.sh"
if ! command -v osken-manager >/dev/null 2>&1 || ! /usr/bin/python3 -c 'import os_ken' 2>/dev/null; then
  echo "SKIP: os-ken not installed (apt-get install python3-os-ken)"
  exit 77
fi
# A bash command line, expanded where the tests start the controller (tb_controller_start), with
# TB_CONFIG and TB_CONTROLLER_PORT set there.
cmd="bash '$peer' \"\$TB_CONFIG\" \"\$TB_CONTROLLER_PORT\""
export VMNCTL_OFC_CMD=$cmd REACTION_CONTROLLER_CMD=$cmd
exec bash "$here/$script" "$@"
