# Installs the Debian packages Tern needs to build, test and demo, only
# those that are missing (a fresh Debian 12 machine has none of them).
TERN_PACKAGES=(
    gcc meson ninja-build pkg-config python3
    libglib2.0-dev libjson-glib-dev liburing-dev libslirp-dev libcap-ng-dev
    qemu-system-x86 qemu-utils seabios cpio gzip acpica-tools
    fio
)

tern_install_deps() {
    local missing=()
    for p in "${TERN_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/tern-apt.log 2>&1; then
        apt-get update -q >>/tmp/tern-apt.log 2>&1
        apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/tern-apt.log 2>&1 || {
            echo "apt-get install failed; see /tmp/tern-apt.log" >&2
            return 1
        }
    fi
}

# True when guest kernel code runs natively (VT-x/AMD-V visible to us). On
# a software nested hypervisor (kvm_pvm) it does not, and Linux guests are
# run inside the nested host instead (tests/nested/).
tern_kvm_is_native() {
    [ -e /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo
}
