#!/usr/bin/env python3
"""Host-side client for blimp-agent (docs/guest-agent.md), for tests and scripts.

    agentctl.py SOCK [--wait S] [--timeout-ms MS] -- CMD...   run CMD, print its output,
                                                              exit with its status
    agentctl.py SOCK --ping [--wait S]                        wait until the agent answers

As a module: Agent(sock).wait_ready(seconds); Agent.exec(cmd, timeout_ms) -> (status, bytes).
READY lines and stray PONGs (answers to pings sent while the guest was booting) are
skipped. QEMU's virtconsole drops what the guest writes while no client is connected,
so a client never relies on seeing READY: it pings until it gets its PONG.
"""
import socket
import sys
import time


class AgentError(Exception):
    pass


class Agent:
    def __init__(self, path, connect_wait_s=30.0, sock=None):
        self.buf = b""
        self.next_id = 1
        if sock is not None:  # an already connected socket (tests)
            self.sock = sock
            return
        deadline = time.monotonic() + connect_wait_s
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise AgentError("cannot connect to %s" % path)
                time.sleep(0.2)

    def close(self):
        self.sock.close()

    def _fill(self, deadline):
        left = deadline - time.monotonic() if deadline else None
        if left is not None and left <= 0:
            raise TimeoutError("agent did not answer in time")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("agent did not answer in time")
        if not data:
            raise AgentError("agent connection closed")
        self.buf += data

    def _line(self, deadline):
        while b"\n" not in self.buf:
            if len(self.buf) > 4096:
                raise AgentError("header line too long: %r" % self.buf[:80])
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("ascii", "replace")

    def _bytes(self, n, deadline):
        while len(self.buf) < n:
            self._fill(deadline)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def wait_ready(self, seconds=120.0):
        """Ping once a second until the agent answers. Returns the seconds it took."""
        start = time.monotonic()
        deadline = start + seconds
        while True:
            pid = self.next_id
            self.next_id += 1
            self.sock.sendall(b"PING %d\n" % pid)
            step = min(deadline, time.monotonic() + 1.0)
            try:
                while True:
                    words = self._line(step).split()
                    if words == ["PONG", str(pid)]:
                        return time.monotonic() - start
            except TimeoutError:
                if time.monotonic() >= deadline:
                    raise

    def exec(self, cmd, timeout_ms=0, wait_s=None):
        """Run cmd in the guest; returns (status, output bytes)."""
        data = cmd.encode() if isinstance(cmd, str) else cmd
        rid = self.next_id
        self.next_id += 1
        if wait_s is None:
            wait_s = timeout_ms / 1000.0 + 60.0 if timeout_ms else 3600.0
        deadline = time.monotonic() + wait_s
        self.sock.sendall(b"EXEC %d %d %d\n" % (rid, timeout_ms, len(data)) + data)
        while True:
            words = self._line(deadline).split(" ")
            if words[0] == "RESULT" and len(words) == 4 and words[1] == str(rid):
                return int(words[2]), self._bytes(int(words[3]), deadline)
            if words[0] == "ERROR" and len(words) >= 2 and words[1] in (str(rid), "0"):
                raise AgentError(" ".join(words))
            # READY, stray PONG: skip


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(argv) >= 2 else 2
    sock, args = argv[1], argv[2:]
    wait_s, timeout_ms, ping = 60.0, 0, False
    while args and args[0] != "--":
        opt = args.pop(0)
        if opt == "--ping":
            ping = True
        elif opt == "--wait" and args:
            wait_s = float(args.pop(0))
        elif opt == "--timeout-ms" and args:
            timeout_ms = int(args.pop(0))
        else:
            print("agentctl: bad option %s" % opt, file=sys.stderr)
            return 2
    try:
        agent = Agent(sock, wait_s)
        agent.wait_ready(wait_s)
        if ping:
            print("agentctl: agent ready")
            return 0
        if not args or args[0] != "--" or len(args) < 2:
            print("agentctl: missing -- CMD", file=sys.stderr)
            return 2
        status, out = agent.exec(" ".join(args[1:]), timeout_ms)
    except (AgentError, TimeoutError, OSError) as e:
        print("agentctl: %s" % e, file=sys.stderr)
        return 255
    sys.stdout.buffer.write(out)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
