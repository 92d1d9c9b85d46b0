#!/usr/bin/env bash
# The L3 migration test (l3_migration_test.sh: pings between sites, moves a->c->b->a, TCP stream
# intact) with the os-ken peer (tests/bench/peers/osken) as the controller instead of
# vmnctl-ofc: the proof that the benchmark's baseline really implements the paper's design.
# Skipped (exit 77) when os-ken (Debian package python3-os-ken) is not installed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
peer="$here/../bench/peers/osken/run-osken.sh"
if ! command -v osken-manager >/dev/null 2>&1 || ! /usr/bin/python3 -c 'import os_ken' 2>/dev/null; then
  echo "SKIP: os-ken not installed (apt-get install python3-os-ken)"
  exit 77
fi
# Expanded by the test's controller start (tb_controller_start), where both are set.
export VMNCTL_OFC_CMD="bash '$peer' \"\$TB_CONFIG\" \"\$TB_CONTROLLER_PORT\""
exec bash "$here/l3_migration_test.sh" "$@"
