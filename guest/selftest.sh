#!/bin/bash
# guest/selftest.sh: boot the built-in guest with plain QEMU and check it end to end.
#
# Boots build/guest (building it first if needed) with a virtio-balloon, the agent's
# virtconsole on a unix socket, the data disk (serial blimpdata, read-only) and a swap
# disk (serial blimpswap, blimp.swap=1), plus a blimp.cmd. Then, over the agent:
# /proc/meminfo, memhog 100, wsloop 64 --duration 3, fileread, memcheck, exit-status
# propagation (exit 3, signals, timeout 124, background jobs), swap, modules, and a
# balloon inflate through QMP that the guest must see. Powers the guest off and prints
# "selftest: PASS (n checks)" or "selftest: FAIL ..." (exit 1).
# Accelerator: KVM when /dev/kvm is usable and not kvm_pvm (nested, software), else TCG.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
guest=${BLIMP_GUEST_DIR:-$(dirname "$here")/build/guest}
mem_mib=${BLIMP_SELFTEST_MEM_MIB:-512}
boot_timeout_s=${BLIMP_SELFTEST_BOOT_S:-180}

for f in vmlinux initrd.img data.img; do
	if [ ! -s "$guest/$f" ]; then
		"$here/build.sh"
		break
	fi
done

if [ -w /dev/kvm ] && [ ! -e /sys/module/kvm_pvm ]; then
	accel=kvm
else
	accel=tcg
fi

tmp=$(mktemp -d /tmp/blimp-guest-selftest.XXXXXX)
qpid=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# boot_guest NAME APPEND [QEMU ARGS...]: start QEMU in the background (pid in $qpid,
# files in $tmp/NAME.*) and wait for the console's "blimp-guest: ready". The agent
# socket is a virtio serial port named org.blimp.agent (flow-controlled, preferred by
# the agent) unless $agent_dev says otherwise (virtconsole,chardev=agent: hvc0).
agent_dev=virtserialport,chardev=agent,name=org.blimp.agent
boot_guest() {
	local name=$1 append=$2 start_ns boot_ms ready=
	shift 2
	start_ns=$(date +%s%N)
	qemu-system-x86_64 -accel "$accel" -M pc -m "$mem_mib" -smp 1 -nodefaults -nographic \
		-kernel "$guest/vmlinux" -initrd "$guest/initrd.img" \
		-append "console=ttyS0 quiet $append" \
		-serial "file:$tmp/$name.console" -monitor none \
		-qmp "unix:$tmp/$name.qmp,server=on,wait=off" \
		-device virtio-balloon-pci,id=balloon0 \
		-device virtio-serial-pci \
		-chardev "socket,id=agent,path=$tmp/$name.agent,server=on,wait=off" \
		-device "$agent_dev" \
		-drive "file=$guest/data.img,if=none,id=data,format=raw,readonly=on" \
		-device virtio-blk-pci,drive=data,serial=blimpdata \
		"$@" </dev/null >"$tmp/$name.qemu" 2>&1 &
	qpid=$!
	for _ in $(seq $((boot_timeout_s * 5))); do
		if grep -q 'blimp-guest: ready' "$tmp/$name.console" 2>/dev/null; then
			ready=1
			break
		fi
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.2
	done
	boot_ms=$((($(date +%s%N) - start_ns) / 1000000))
	if [ -z "$ready" ]; then
		echo "selftest: FAIL: $name: no 'blimp-guest: ready' within ${boot_timeout_s}s ($accel)"
		tail -30 "$tmp/$name.console" "$tmp/$name.qemu" 2>/dev/null
		exit 1
	fi
	echo "selftest: $name: booted to ready in ${boot_ms} ms under $accel ($mem_mib MiB)"
}

# wait_poweroff: the guest powers itself off and QEMU exits; 0 if it did in 30 s.
wait_poweroff() {
	for _ in $(seq 150); do
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$qpid" 2>/dev/null; then
		echo "selftest: guest did not power off in 30 s"
		return 1
	fi
	wait "$qpid" 2>/dev/null || true
	qpid=
}

truncate -s 128M "$tmp/swap.img"
marker="selftest-cmd-$$"
cmdhex=$(printf 'echo %s; echo second line' "$marker" | od -An -v -tx1 | tr -d ' \n')
boot_guest main "blimp.swap=1 blimp.cmd=$cmdhex" \
	-drive "file=$tmp/swap.img,if=none,id=swap,format=raw" \
	-device virtio-blk-pci,drive=swap,serial=blimpswap
# checks PHASE: run the Python checks of PHASE (main, nomod) against the running guest.
checks() {
	PYTHONPATH=$here python3 -u - "$tmp" "$1" "$marker" "$mem_mib" <<'EOF'
import json, re, socket, sys, time
from agentctl import Agent

tmp, phase, marker, mem_mib = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
checks, failures = 0, []

def check(name, ok, detail=""):
    global checks
    checks += 1
    print("selftest: %s %s%s" % ("ok  " if ok else "FAIL", name, (": " + detail) if detail and not ok else ""))
    if not ok:
        failures.append(name)

def qmp(cmd, args=None):
    s = socket.socket(socket.AF_UNIX)
    s.connect(tmp + "/" + phase + ".qmp")
    f = s.makefile("rwb", 0)
    f.readline()  # greeting
    for c, a in (("qmp_capabilities", None), (cmd, args)):
        msg = {"execute": c}
        if a:
            msg["arguments"] = a
        f.write(json.dumps(msg).encode() + b"\n")
        while True:
            r = json.loads(f.readline())
            if "return" in r or "error" in r:
                break
    s.close()
    return r

def finish():
    st, out = run("poweroff")
    check("poweroff accepted", st == 0, "%d" % st)
    with open(tmp + "/checks", "a") as f:
        f.write("%d %d\n" % (checks, len(failures)))
    sys.exit(0 if not failures else 1)

def run(cmd, timeout_ms=0, wait_s=120):
    """Every command gets a wall-clock limit: a lost reply fails the test, not hangs it."""
    try:
        return a.exec(cmd, timeout_ms=timeout_ms, wait_s=wait_s)
    except TimeoutError:
        check("reply to %r within %d s" % (cmd, wait_s), False, "no RESULT")
        raise

a = Agent(tmp + "/" + phase + ".agent")
print("selftest: agent answered PING after %.2f s" % a.wait_ready(60))

if phase == "nomod":
    st, out = run("lsmod | cut -d' ' -f1 | sort | tr '\\n' ' '; ls /sys/bus/virtio/drivers/")
    check("blimp.nomod=virtio_balloon: not loaded", st == 0 and b"virtio_balloon" not in out
          and b"virtio_blk" in out, repr(out))
    with open(tmp + "/nomod.console", "rb") as f:
        con = f.read()
    check("blimp.nomod reported on the console", b"blimp-guest: not loading virtio_balloon" in con)
    check("non-hex blimp.cmd refused on the console", b"blimp-guest: blimp.cmd is not hex, ignored" in con)
    st, out = run("cat /proc/swaps | wc -l; test -s /tmp/cmd.log || echo nocmd")
    check("no swap, no cmd without their keys", (st, out) == (0, b"1\nnocmd\n"), repr(out))
    check("agent fell back to hvc0 (virtconsole)", b"blimp-guest: agent on /dev/hvc0" in con)
    st, out = run("head -c 100000 /dev/zero | tr '\\0' y")
    check("100 KB reply over hvc0", (st, out) == (0, b"y" * 100000), "%d len %d" % (st, len(out)))
    finish()

with open(tmp + "/main.console", "rb") as f:
    check("agent on the org.blimp.agent serial port", re.search(rb"blimp-guest: agent on /dev/vport\d+p\d+", f.read()))
st, out = run("cat /proc/meminfo")
check("cat /proc/meminfo", st == 0 and b"MemTotal:" in out, "status %d" % st)
m = re.search(rb"MemTotal:\s+(\d+) kB", out)
total_kib = int(m.group(1)) if m else 0

st, out = run("memhog 100")
check("memhog 100", st == 0 and b"memhog: touched 100 MiB" in out, "status %d %r" % (st, out[-200:]))

t = time.monotonic()
st, out = run("wsloop 64 --duration 3")
lines = re.findall(rb"^wsloop t_ms=(\d+) pages_per_s=(\d+) resident_mib=(\d+)$", out, re.M)
check("wsloop 64 --duration 3", st == 0 and len(lines) >= 2
      and all(int(p) > 0 and int(r) >= 60 for _, p, r in lines)
      and 2.5 < time.monotonic() - t < 30, "status %d %r" % (st, out[-300:]))
if lines:
    print("selftest:      wsloop pages_per_s=%s" % lines[-1][1].decode())

st, out = run("exit 3")
check("exit 3 -> status 3", st == 3, "status %d" % st)
st, out = run("echo out; echo err >&2; kill -9 $$")
check("killed by SIGKILL -> 137, stderr captured", st == 137 and out == b"out\nerr\n", "%d %r" % (st, out))
t = time.monotonic()
st, out = run("echo before; sleep 30", timeout_ms=1000)
check("timeout -> 124", st == 124 and out == b"before\n" and time.monotonic() - t < 10, "%d %r" % (st, out))
t = time.monotonic()
st, out = run("sleep 20 & echo started")
check("background job does not hang the reply", st == 0 and out == b"started\n" and time.monotonic() - t < 5,
      "%d %r" % (st, out))
st, out = run("head -c 1500000 /dev/zero | tr '\\0' x")
check("output capped at 1 MiB", st == 0 and len(out) < 1048576 + 100 and b"bytes dropped]" in out[-60:],
      "%d len %d" % (st, len(out)))

st, out = run("cat /sys/block/*/serial; echo; grep ' /data ' /proc/mounts; ls /data/files | wc -l")
check("data disk mounted read-only at /data", st == 0 and b"blimpdata" in out and b" ro," in out, repr(out))
st, out = run("fileread /data/files --duration 3")
check("fileread /data/files", st == 0 and re.search(rb"^fileread t_ms=\d+ mib_per_s=\d+\.\d$", out, re.M) is not None,
      "%d %r" % (st, out[-200:]))
st, out = run("memcheck 32 --seconds 2 && memcheck 16 --seconds 1 --same")
check("memcheck", st == 0 and out.count(b"memcheck ok passes=") == 2, "%d %r" % (st, out))
st, out = run("cat /proc/swaps")
check("blimp.swap=1 enabled the blimpswap disk", st == 0 and b"/dev/vd" in out, repr(out))
st, out = run("cat /tmp/cmd.log")
check("blimp.cmd ran", out == (marker + "\nsecond line\n").encode(), repr(out))
st, out = run("ls /sys/bus/virtio/drivers/virtio_balloon/ | grep -c virtio; uname -r")
check("virtio_balloon bound", st == 0 and out.startswith(b"1\n"), repr(out))

# Inflate the balloon by 128 MiB through QEMU; the guest's MemTotal must drop.
r = qmp("balloon", {"value": (mem_mib - 128) * 1024 * 1024})
dropped = 0
for _ in range(60):
    st, out = run("grep MemTotal /proc/meminfo")
    m = re.search(rb"(\d+) kB", out)
    dropped = total_kib - int(m.group(1)) if m else 0
    if dropped >= 100 * 1024:
        break
    time.sleep(0.5)
check("balloon inflate seen by the guest (MemTotal -%d MiB)" % (dropped // 1024), dropped >= 100 * 1024,
      "qmp %r" % r)
qmp("balloon", {"value": mem_mib * 1024 * 1024})

# The host side going away and coming back must not disturb the agent.
a.close()
a = Agent(tmp + "/" + phase + ".agent")
a.wait_ready(10)
check("reconnect after host disconnect", run("echo again") == (0, b"again\n"))
# The agent dying (here: killed by its own command) is respawned by init.
try:
    r = a.exec("kill -9 $PPID", wait_s=3)
except TimeoutError:
    r = None
check("agent killed by its command: no RESULT", r is None, repr(r))
t = a.wait_ready(30)
st, out = run("echo respawned")
with open(tmp + "/main.console", "rb") as f:
    readies = f.read().count(b"blimp-guest: ready")
check("agent respawned by init (%.1f s)" % t, (st, out) == (0, b"respawned\n") and readies == 2,
      "%r, %d ready lines" % (out, readies))
finish()
EOF
}

rc=0
checks main || rc=1
wait_poweroff || rc=1
if [ "$rc" = 0 ]; then
	agent_dev=virtconsole,chardev=agent
	boot_guest nomod "blimp.nomod=virtio-balloon blimp.cmd=not-hex"
	checks nomod || rc=1
	wait_poweroff || rc=1
fi
read -r total failed < <(awk '{ t += $1; f += $2 } END { print t + 0, f + 0 }' "$tmp/checks" 2>/dev/null || echo "0 0")
if [ "$rc" != 0 ]; then
	echo "selftest: FAIL ($failed of $total checks failed; console tails follow)"
	for c in "$tmp"/*.console; do
		echo "--- $c"
		tail -20 "$c"
	done
	exit 1
fi
echo "selftest: PASS ($total checks)"
exit 0
