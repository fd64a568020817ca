#!/bin/bash
# guest/test-agent.sh: fast host-side test of blimp-agent (no QEMU). Builds the agent
# with ASan+UBSan, serves it over a socketpair with --stdio, and checks the protocol
# of docs/guest-agent.md, hostile input included. Prints "test-agent: PASS (n checks)".
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d /tmp/blimp-agent-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

${CC:-gcc} -O1 -g -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral \
	-D_GNU_SOURCE -fsanitize=address,undefined -fno-sanitize-recover=all \
	-o "$tmp/agent" "$here/tools/agent.c" "$here/tools/agent_proto.c"

PYTHONPATH=$here python3 - "$tmp/agent" <<'EOF'
import socket, subprocess, sys, time
from agentctl import Agent, AgentError

ours, theirs = socket.socketpair()
proc = subprocess.Popen([sys.argv[1], "--stdio"], stdin=theirs, stdout=theirs)
theirs.close()
a = Agent(None, sock=ours)
checks, failures = 0, []

def check(name, ok, detail=""):
    global checks
    checks += 1
    if not ok:
        failures.append(name)
        print("test-agent: FAIL %s: %s" % (name, detail))

def raw(data):
    ours.sendall(data)

line = a._line(time.monotonic() + 10)
check("READY first", line.startswith("READY "), line)
a.wait_ready(10)
check("exit status", a.exec("exit 3") == (3, b""))
check("output and status", a.exec("echo hi; echo there >&2; exit 0") == (0, b"hi\nthere\n"))
check("signal -> 128+n", a.exec("kill -TERM $$")[0] == 143)
t = time.monotonic()
st, out = a.exec("echo x; sleep 20", timeout_ms=300)
check("timeout -> 124", st == 124 and out == b"x\n" and time.monotonic() - t < 5, (st, out))
t = time.monotonic()
st, out = a.exec("sleep 3 & echo bg")
check("background does not hang", (st, out) == (0, b"bg\n") and time.monotonic() - t < 2, (st, out))
st, out = a.exec("head -c 3000000 /dev/zero")
check("1 MiB cap + dropped note", st == 0 and out.startswith(b"\0" * 1048576)
      and out[1048576:] == b"[blimp-agent: 1951424 bytes dropped]\n", len(out))
check("stdin is /dev/null", a.exec("cat; echo done") == (0, b"done\n"))
check("empty command", a.exec("") == (0, b""))
check("binary-safe command", a.exec("printf '%s' 'a\nb'") == (0, b"a\nb"))

# Hostile input: every bad frame gets an ERROR, and the stream stays in sync.
raw(b"HELLO\n" + b"Z" * 5000 + b"\nPING 99999999999999999999\nEXEC 5 0 70000\n" + b"P" * 70000
    + b"EXEC 6 0 6\necho\0xEXEC 7 x y\n\n")
got = [a._line(time.monotonic() + 10) for _ in range(7)]
want = ["ERROR 0 unknown request", "ERROR 0 header line too long", "ERROR 0 usage: PING <id>",
        "ERROR 5 command too long"]
check("errors for bad frames", got[:4] == want, got)
check("NUL in command rejected", got[4] == "ERROR 6 NUL byte in command", got)
check("bad EXEC names its id", got[5].startswith("ERROR 7 "), got)
check("empty line is an error", got[6].startswith("ERROR 0"), got)
check("in sync afterwards", a.exec("echo ok") == (0, b"ok\n"))

# A huge length in the header is malformed (resync on the next line), not awaited.
raw(b"EXEC 8 0 99999999999999\nPING 3\n")
got = [a._line(time.monotonic() + 10) for _ in range(2)]
check("absurd length rejected", got == ["ERROR 8 length out of range", "PONG 3"], got)

# Commands split across many tiny writes still parse.
msg = b"EXEC 9 0 9\necho slow"
for i in range(len(msg)):
    raw(msg[i:i + 1])
    time.sleep(0.002)
got = a._line(time.monotonic() + 10)
check("byte-at-a-time frames", got == "RESULT 9 0 5" and a._bytes(5, time.monotonic() + 5) == b"slow\n", got)

ours.shutdown(socket.SHUT_WR)
rc = proc.wait(10)
check("clean exit on EOF (no sanitizer report)", rc == 0, rc)
print("test-agent: %s (%d checks)" % ("PASS" if not failures else "FAIL", checks))
sys.exit(1 if failures else 0)
EOF
