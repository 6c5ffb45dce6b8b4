#!/bin/sh
# Standalone build of the guest payloads (same flags as meson.build):
#   tests/guest/payloads/build.sh OUTDIR [name...]
# Default names: all payloads.  Needs only Debian's gcc + binutils.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: $0 OUTDIR [name...]}
shift
[ $# -gt 0 ] || set -- hello modes cpl3-loop mmio-exits dirty counter smp poweroff mmio-exec panic rtc-irq virtio-blk
mkdir -p "$out"
for name in "$@"; do
    ${CC_PAYLOAD:-gcc} @"$here/payload.rsp" -Wl,-T,"$here/link.ld" \
        -o "$out/$name.elf" "$here/$name.c" "$here/entry.S" "$here/lib.c"
    echo "built $out/$name.elf"
done
