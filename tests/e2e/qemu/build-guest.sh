#!/usr/bin/env bash
# Builds the VMN guest for the QEMU tests: Debian's own kernel and a busybox initramfs.
#
#   build-guest.sh OUTDIR
#
# Writes OUTDIR/vmlinuz and OUTDIR/initramfs.gz. The guest is configured from the kernel
# command line:
#   vmn.hoa=ADDR/LEN   home address on eth0        vmn.gw=ADDR   default gateway
#   vmn.echo=PORT      run `vmn-probe echo` on this UDP port (optional)
# and prints "VMN-READY" on the console when eth0 is configured.
#
# Needs linux-image-amd64 (kernel + modules in /lib/modules/<version>) and busybox-static.
# virtio_pci and virtio_net are modules in Debian's kernel, loaded by /init in dependency
# order (SYSTEM.md). vmn-probe is copied with the shared libraries it links (ldd), so the
# guest runs the very binary the host built.
set -euo pipefail
out=${1:?usage: build-guest.sh OUTDIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
probe=${VMN_PROBE:-${TB_BUILD_DIR:-$repo/build}/apps/vmn-probe/vmn-probe}
modules=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
         failover net_failover virtio_net)

die() { echo "build-guest: $*" >&2; exit 1; }

kernel=${GUEST_KERNEL:-}
if [[ -z "$kernel" ]]; then
  kernel=$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n1 || true)
fi
[[ -r "$kernel" ]] || die "no kernel in /boot (apt-get install linux-image-amd64)"
version=${kernel##*/vmlinuz-}
moddir=/lib/modules/$version
[[ -d "$moddir" ]] || die "no modules for $version in $moddir"
busybox=$(command -v busybox || true)
[[ -n "$busybox" ]] && ! ldd "$busybox" >/dev/null 2>&1 \
  || die "busybox is not static (apt-get install busybox-static)"
[[ -x "$probe" ]] || die "vmn-probe not built ($probe)"

mkdir -p "$out"
stamp="$kernel $(stat -c %Y "$kernel") $(stat -c %Y "$probe") $(sha256sum <"${BASH_SOURCE[0]}")"
if [[ -r "$out/stamp" && "$(cat "$out/stamp")" == "$stamp" && -r "$out/initramfs.gz" ]]; then
  exit 0  # up to date
fi

root=$(mktemp -d /tmp/tb-guest.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,lib/modules}
cp "$busybox" "$root/bin/busybox"

for m in "${modules[@]}"; do
  f=$(find "$moddir" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" -o -name "$m.ko.gz" | head -n1)
  [[ -n "$f" ]] || die "module $m not found under $moddir"
  case $f in
    *.ko) cp "$f" "$root/lib/modules/$m.ko" ;;
    *.xz) xz -dc "$f" >"$root/lib/modules/$m.ko" ;;
    *.gz) gzip -dc "$f" >"$root/lib/modules/$m.ko" ;;
    *.zst) zstd -qdc "$f" >"$root/lib/modules/$m.ko" ;;
  esac
done

# vmn-probe and every shared library it needs (the dynamic loader included), same paths.
mkdir -p "$root/usr/bin"
cp "$probe" "$root/usr/bin/vmn-probe"
for lib in $(ldd "$probe" | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

cat >"$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in ${modules[*]}; do
  insmod /lib/modules/\$m.ko || echo "VMN-ERROR insmod \$m"
done
hoa=; gw=; echo_port=
for arg in \$(cat /proc/cmdline); do
  case \$arg in
    vmn.hoa=*) hoa=\${arg#vmn.hoa=} ;;
    vmn.gw=*) gw=\${arg#vmn.gw=} ;;
    vmn.echo=*) echo_port=\${arg#vmn.echo=} ;;
  esac
done
ip link set lo up
for i in 1 2 3 4 5 6 7 8 9 10; do
  [ -e /sys/class/net/eth0 ] && break
  sleep 0.5
done
ip link set eth0 up
[ -n "\$hoa" ] && ip addr add "\$hoa" dev eth0
[ -n "\$gw" ] && ip route add default via "\$gw"
if [ -n "\$echo_port" ]; then
  /usr/bin/vmn-probe echo --listen "0.0.0.0:\$echo_port" &
fi
echo "VMN-READY \$(ip -o addr show eth0 | grep 'inet ')"
# Keep PID 1 alive; the console is a log only.
while true; do sleep 3600; done
EOF
chmod +x "$root/init"

(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$out/initramfs.gz.tmp"
mv "$out/initramfs.gz.tmp" "$out/initramfs.gz"
cp "$kernel" "$out/vmlinuz"
echo "$stamp" >"$out/stamp"
echo "build-guest: $out/vmlinuz ($version), $out/initramfs.gz ($(stat -c %s "$out/initramfs.gz") bytes)"
