# shellcheck shell=bash
# deps.sh: the Debian 12 packages libvmnmob needs to build and test, and an installer that
# touches apt only when something is missing. Sourced by tests/run.sh and examples/demo.sh.

# build: compilers, CMake/Ninja/ccache, libraries; test tools: Catch2, Google Benchmark,
# clang + libFuzzer runtime, tshark/tcpdump, Open vSwitch, iproute2, ethtool, ping;
# python3 for tests/fixtures/capture-ovs.sh and the e2e QMP client; socat for the e2e TCP
# stream check; curl for the northbound API test (tests/apps/northbound_test.sh); QEMU, a Debian kernel and busybox for the real live migration (tests/e2e/qemu);
# os-ken for the benchmarks' peer controller (tests/bench/peers/osken).
VMNMOB_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libboost-dev libboost-system-dev libfmt-dev nlohmann-json3-dev libssl-dev openssl
  catch2 libbenchmark-dev clang libclang-rt-14-dev
  tshark tcpdump openvswitch-switch iproute2 ethtool iputils-ping python3
  socat curl qemu-system-x86 ipxe-qemu linux-image-amd64 busybox-static
  python3-os-ken
)

vmnmob_missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || echo "$p"
  done
}

# Installs whatever of VMNMOB_PACKAGES (or the packages given) is missing.
vmnmob_ensure_packages() {
  local want=("$@")
  ((${#want[@]})) || want=("${VMNMOB_PACKAGES[@]}")
  local missing
  mapfile -t missing < <(vmnmob_missing_packages "${want[@]}")
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing packages: ${missing[*]} (run as root to install them)" >&2
    return 1
  fi
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || return 1
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null || return 1
}
