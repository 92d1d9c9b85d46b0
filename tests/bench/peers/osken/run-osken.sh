#!/usr/bin/env bash
# run-osken.sh CONFIG PORT: the os-ken peer (vmnmob_osken.py, the paper's design as an os-ken
# OpenFlow 1.3 app) in the foreground, listening on 127.0.0.1:PORT, with CONFIG the same JSON
# file vmnctl-ofc reads (its openflow.listen is ignored: PORT decides). Runs until killed;
# SIGTERM or SIGINT stops it (it keeps no state). Logs go to stderr.
# Exit 77 when os-ken is not installed (Debian package python3-os-ken).
set -euo pipefail
if (($# != 2)); then
  echo "usage: $0 CONFIG PORT" >&2
  exit 2
fi
config=$1 port=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[[ -r "$config" ]] || { echo "$0: cannot read $config" >&2; exit 2; }
# osken-manager runs on Debian's python3 (/usr/bin/python3), whatever python3 PATH finds first.
if ! command -v osken-manager >/dev/null 2>&1 || ! /usr/bin/python3 -c 'import os_ken' 2>/dev/null; then
  echo "$0: os-ken is not installed (apt-get install python3-os-ken)" >&2
  exit 77
fi
export VMNMOB_OSKEN_CONFIG=$config
# exec: the caller's pid is the controller's, so its SIGTERM reaches os-ken directly.
exec osken-manager --ofp-listen-host 127.0.0.1 --ofp-tcp-listen-port "$port" \
  --use-stderr --default-log-level 20 "$here/vmnmob_osken.py"
