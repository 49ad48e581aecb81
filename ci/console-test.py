#!/usr/bin/env python3
"""Boots a board on its serial console, logs in, runs a command, and exits with its status.

usage: console-test.py [--timeout S] [--run CMD] LOG -- LAUNCHER [ARGS...]

LAUNCHER starts QEMU with the console on stdio (the Buildroot image's start-qemu.sh, or
ci/boot.sh). The script answers every "login:" prompt with root and asks the shell to echo a
value it computes, again every 5 s, until it does (login may flush what was typed before the
shell started; kernel lines printed after a prompt do not confuse it), then runs
CMD (default: carveout selftest), reads its exit status, powers the board off, and exits
with that status: 0 when the command passed. It exits 124 when the board does not boot, log
in or finish in time, and 125 when the console shows a kernel splat. Everything the console
printed goes to LOG. In the style of Buildroot's runtime tests (support/testing), without
their pexpect dependency.
"""
import argparse
import os
import re
import selectors
import subprocess
import sys
import time

SPLAT = re.compile(rb"(WARNING:|BUG:|Oops|Kernel panic|Unable to handle|Call trace:)")


class Console:
    def __init__(self, argv, log):
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        self.log = log
        self.buf = b""
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.proc.stdout, selectors.EVENT_READ)

    def expect(self, pattern, deadline):
        """Reads until `pattern` matches the text after the last match; returns the match."""
        regex = re.compile(pattern)
        while True:
            m = regex.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0 or not self.sel.select(timeout=left):
                raise TimeoutError(pattern.decode(errors="replace"))
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                raise EOFError(pattern.decode(errors="replace"))
            self.log.write(chunk)
            self.log.flush()
            self.buf += chunk

    def send(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def close(self, grace):
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=600, help="seconds for the whole run")
    ap.add_argument("--run", default="carveout selftest", help="command to run on the board")
    ap.add_argument("log")
    ap.add_argument("launcher", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    launcher = args.launcher[1:] if args.launcher[:1] == ["--"] else args.launcher
    if not launcher:
        ap.error("no launcher command after --")

    deadline = time.monotonic() + args.timeout
    with open(args.log, "wb") as log:
        console = Console(launcher, log)
        status = 124
        try:
            # A getty login (Buildroot) or a shell straight away (the make-test board). The
            # kernel may print after a prompt, so no pattern is anchored to the end of the
            # output; the shell proves it is ready by echoing a value it computed.
            # The first prompt, then: answer every "login:" with root, and ask the shell to
            # echo a value it computes until it does (login may flush what was typed before
            # the shell started; "# " may also match boot output).
            console.expect(rb"login: |# ", deadline)
            console.send("root")
            while True:
                console.send("echo CONSOLE-TEST-READY-$((6 * 7))")
                try:
                    m = console.expect(
                        rb"CONSOLE-TEST-READY-42|login: ", min(deadline, time.monotonic() + 5)
                    )
                except TimeoutError:
                    if time.monotonic() >= deadline:
                        raise
                    continue
                if m.group(0) == b"login: ":
                    console.send("root")
                    continue
                break
            console.send(f"{args.run}; echo CONSOLE-TEST-EXIT=$?")
            status = int(console.expect(rb"CONSOLE-TEST-EXIT=(\d+)", deadline).group(1))
            console.send("poweroff -f")
            console.close(grace=max(5.0, min(60.0, deadline - time.monotonic())))
        except (TimeoutError, EOFError) as e:
            what = "timed out" if isinstance(e, TimeoutError) else "console closed"
            print(f"console-test: {what} waiting for {e} (log: {args.log})", file=sys.stderr)
            console.close(grace=1)
            return 124
    with open(args.log, "rb") as log:
        splats = [l for l in log.read().splitlines() if SPLAT.search(l)]
    if splats:
        print(f"console-test: kernel splat in {args.log}:", file=sys.stderr)
        for line in splats:
            print("  " + line.decode(errors="replace"), file=sys.stderr)
        return 125
    print(f"console-test: '{args.run}' exited {status} (log: {args.log})")
    return status


if __name__ == "__main__":
    sys.exit(main())
