#!/usr/bin/env python3
"""Drives the shell of a running board (ci/dev.sh up) over its serial console socket.

usage: dev-console.py [--timeout S] [--port PORT] [--push LOCAL=REMOTE]... SOCKET [COMMAND]

Connects to SOCKET (QEMU's serial console, a unix socket), waits for the shell to answer, copies
each LOCAL file to REMOTE on the board, then runs COMMAND
with sh and prints what it prints. A file goes through the virtio console port named
"carveout-push" when PORT (the unix socket QEMU gives that port) is given and the board has the
port (`head -c` reads it from the port's device), else over the serial console (gzip, then
base64, read by `head -c` with the terminal in raw mode, so the shell's line editing never sees
it; about 40 KiB/s). It runs COMMAND
with sh and prints what it prints. Exits with COMMAND's status; 124 when the board does not
answer in time (--timeout, 60 s by default, for each step), 125 when the console shows a kernel
splat (the board is left running: `ci/dev.sh down` stops it).
"""
import argparse
import base64
import gzip
import os
import re
import secrets
import socket
import sys
import time

SPLAT = re.compile(rb"(WARNING:|BUG:|Oops|Kernel panic|Unable to handle|Call trace:)")


class Timeout(Exception):
    pass


class Splat(Exception):
    pass


class Console:
    def __init__(self, path, timeout):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.timeout = timeout
        self.buf = b""

    def send(self, data):
        # A step's own timeout: `expect` leaves the socket with what was left of its own (2 s
        # after `sync`), and the serial console drains a file at about 40 KiB/s.
        self.sock.settimeout(self.timeout)
        try:
            self.sock.sendall(data)
        except socket.timeout:
            raise Timeout() from None

    def expect(self, regex, echo=None, hide=None):
        """Reads until `regex` matches; returns the match. Text before it goes to `echo`, but
        for lines that contain `hide` (the shell's echo of the command line)."""
        deadline = time.monotonic() + self.timeout
        while True:
            match = regex.search(self.buf)
            if match:
                if echo is not None:
                    text = self.buf[: match.start()].decode(errors="replace")
                    lines = text.splitlines(keepends=True)
                    echo.write("".join(l for l in lines if hide is None or hide not in l))
                    echo.flush()
                self.buf = self.buf[match.end() :]
                return match
            if SPLAT.search(self.buf):
                sys.stdout.write(self.buf.decode(errors="replace"))
                raise Splat()
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout()
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise Timeout() from None
            if not chunk:
                raise Timeout()
            self.buf += chunk

    def start(self, command):
        """Sends `command` to the board's shell, then a marker with its exit status; returns
        the marker's pattern (for `expect`) and its tag."""
        tag = secrets.token_hex(4)
        # The marker is built by the shell (printf), so the echo of this line never matches.
        self.send(f"{command}; printf '@@%s %d@@\\n' {tag} $?\n".encode())
        return re.compile(rb"@@" + tag.encode() + rb" (\d+)@@\r?\n"), tag

    def run(self, command, echo=None):
        """Runs `command` in the board's shell; returns its exit status."""
        marker, tag = self.start(command)
        return int(self.expect(marker, echo, tag).group(1))

    def sync(self):
        """Waits until the shell answers, with echo off."""
        deadline = time.monotonic() + self.timeout
        tag = secrets.token_hex(4)
        while True:
            self.send(f"\nstty -echo; printf '@@%s@@\\n' {tag}\n".encode())
            try:
                saved = self.timeout
                self.timeout = 2
                self.expect(re.compile(rb"@@" + tag.encode() + rb"@@"))
                self.timeout = saved
                return
            except Timeout:
                self.timeout = saved
                if time.monotonic() > deadline:
                    raise

    def push_port(self, port, local, remote):
        """Copies `local` to `remote` through the virtio port behind the socket `port`; False
        if the board has no such port (a kernel without CONFIG_VIRTIO_CONSOLE)."""
        with open(local, "rb") as f:
            data = f.read()
        # The port's device, by its name, in $d.
        found = self.run(
            "d=; for n in /sys/class/virtio-ports/*/name; do "
            '[ "$(cat $n 2>/dev/null)" = carveout-push ] && d=${n%/name} && d=/dev/${d##*/}; '
            'done; [ -c "$d" ]'
        )
        if found != 0:
            return False
        marker, _ = self.start(receive(local, remote, f"head -c {len(data)} $d"))
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(port)
            s.settimeout(self.timeout)
            # QEMU takes the bytes once `head` opens the port; until then they wait here. The
            # connection stays until the board has them all.
            try:
                s.sendall(data)
            except socket.timeout:
                raise Timeout()
            self.received(marker, local, remote)
        return True

    def push(self, local, remote):
        """Copies `local` to `remote` on the board, over the serial console."""
        with open(local, "rb") as f:
            # In lines: bytes that reach the terminal before `stty raw` takes effect are read
            # in canonical mode, whose lines have a length limit.
            data = base64.encodebytes(gzip.compress(f.read(), compresslevel=6))
        reader = f"head -c {len(data)} | base64 -d | gunzip"
        marker, _ = self.start(
            f"stty raw -echo; {receive(local, remote, reader)}; s=$?; stty sane -echo; (exit $s)"
        )
        # Give the shell time to start `head` before the bytes arrive: what it reads before
        # that goes through the line editor.
        time.sleep(0.2)
        self.send(data)
        self.received(marker, local, remote)

    def received(self, marker, local, remote):
        """Waits for the marker of a copy's command; raises unless it succeeded."""
        if self.expect(marker).group(1) != b"0":
            raise RuntimeError(f"copying {local} to the board's {remote} failed")


def receive(local, remote, reader):
    """The board's command that writes what `reader` prints to `remote` (through a temporary
    file), with the mode of `local`."""
    tmp = remote + ".part"
    mode = "755" if os.access(local, os.X_OK) else "644"
    return f"{reader} > {tmp} && chmod {mode} {tmp} && mv {tmp} {remote}"

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--push", action="append", default=[], metavar="LOCAL=REMOTE")
    parser.add_argument("--port", metavar="PORT")
    parser.add_argument("socket")
    parser.add_argument("command", nargs="?")
    args = parser.parse_args()
    try:
        console = Console(args.socket, args.timeout)
    except OSError as e:
        print(f"dev-console: {args.socket}: {e} (is the board up? ci/dev.sh up)", file=sys.stderr)
        return 2
    try:
        console.sync()
        for spec in args.push:
            local, _, remote = spec.partition("=")
            if not (args.port and console.push_port(args.port, local, remote)):
                console.push(local, remote)
        if args.command:
            return console.run(args.command, echo=sys.stdout)
        return 0
    except Timeout:
        print(f"dev-console: timeout: no answer in {args.timeout} s", file=sys.stderr)
        return 124
    except Splat:
        print("dev-console: the console shows a kernel splat", file=sys.stderr)
        return 125


if __name__ == "__main__":
    sys.exit(main())
