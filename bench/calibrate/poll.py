#!/usr/bin/env python3
"""Record blimpd's `top` once per interval while a demo runs (boot and page-cache fill
included, which the demo's own timeline leaves out): one JSON object per line,
{"t": unix seconds, "top": result}. Reconnects when blimpd restarts; exits when the
stop file appears (or on SIGTERM).

usage: poll.py SOCKET OUT.jsonl STOPFILE [INTERVAL_S]
"""
import json
import os
import signal
import socket
import sys
import time

def main():
    sock_path, out_path, stop_path = sys.argv[1:4]
    interval = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    conn, buf, rid = None, b"", 0
    with open(out_path, "a") as out:
        nxt = time.time()
        while not os.path.exists(stop_path):
            nxt += interval
            try:
                if conn is None:
                    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    conn.settimeout(5)
                    conn.connect(sock_path)
                    buf = b""
                rid += 1
                conn.sendall(json.dumps({"v": 1, "id": rid, "cmd": "top"}).encode() + b"\n")
                while b"\n" not in buf:
                    chunk = conn.recv(1 << 20)
                    if not chunk:
                        raise OSError("closed")
                    buf += chunk
                line, buf = buf.split(b"\n", 1)
                rep = json.loads(line)
                if rep.get("ok"):
                    out.write(json.dumps({"t": round(time.time(), 3), "top": rep["result"]}) + "\n")
                    out.flush()
            except (OSError, ValueError):
                if conn is not None:
                    conn.close()
                conn = None
            time.sleep(max(0.0, nxt - time.time()))

if __name__ == "__main__":
    main()
