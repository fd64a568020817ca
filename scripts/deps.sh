#!/bin/bash
# Installs everything blimp needs on a Debian 12 host (run as root) and applies the
# libvirt fixes a host without systemd needs. Idempotent: a second run changes nothing.
set -euo pipefail

PKGS=(
	build-essential pkg-config clang libclang-rt-14-dev   # compilers; clang for libFuzzer
	libvirt-dev libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
	qemu-system-x86 qemu-utils                            # QEMU (TCG or KVM)
	libjson-c-dev libinih-dev libcmocka-dev               # JSON, INI, unit tests
	gnuplot-nox                                           # demo, `blimp plot` and benchmark plots
	libsystemd-dev                                        # events to the journal (sd_journal_sendv)
	e2fsprogs cpio xz-utils zstd kmod util-linux          # guest image builder, mkswap
	binutils python3 procps
	mmdebstrap eatmydata                                  # the Debian systemd guest (guest/debian)
	libvirt-daemon-system                                 # a system libvirtd (qemu:///system) for the operator tests
	libsystemd-dev                                        # sd_notify (blimpd under systemd)
	dpkg-dev debhelper fakeroot lintian man-db systemd    # the .deb and its checks (tests/package)
	libmicrohttpd-dev prometheus curl                     # /metrics; the real Prometheus t_metrics scrapes with
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# libvirt's QEMU driver wants these even when qemu.conf runs QEMU as root.
mkdir -p /var/log/libvirt /var/log/libvirt/qemu
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
getent passwd libvirt-qemu >/dev/null ||
	useradd --system -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
# blimpd's embedded libvirt runs QEMU as libvirt-qemu (group kvm). Debian's udev
# rule makes /dev/kvm root:kvm 0660; without udev it stays root-only 0600, and then
# libvirt finds KVM "no longer usable" by the QEMU user against its cached QEMU
# capabilities and re-probes QEMU at every domain start (about a minute under TCG).
if [ -c /dev/kvm ] && [ "$(stat -c %G:%a /dev/kvm)" = root:600 ]; then
	chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
fi
# Without virtlogd (no systemd here), QEMU's stdio must go to a plain file. blimpd's
# embedded libvirt writes its own qemu.conf; this is for qemu:///system users.
if [ -f /etc/libvirt/qemu.conf ] && ! grep -q '^stdio_handler' /etc/libvirt/qemu.conf; then
	echo 'stdio_handler = "file"' >>/etc/libvirt/qemu.conf
fi
echo "deps: ok"
