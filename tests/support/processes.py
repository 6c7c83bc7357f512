"""A command of ``orderhub`` run as a process of its own, its output read line by line while it runs
(to learn the address it serves on), then stopped with a signal as an operator would."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[2]


class Running:
    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "admin.cli", *args], cwd=REPO, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env={**os.environ, **(env or {})})
        self.lines: queue.Queue[str] = queue.Queue()
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, kept in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._read, args=(stream, kept), daemon=True).start()

    def _read(self, stream: IO[str] | None, kept: list[str]) -> None:
        assert stream is not None
        for line in stream:
            kept.append(line)
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float = 180.0) -> re.Match[str]:
        """The first line, on stdout or stderr, that matches."""
        deadline = time.monotonic() + timeout
        wanted = re.compile(pattern)
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise AssertionError(f"exited {self.proc.returncode}: {''.join(self.err)[-2000:]}") from None
                continue
            found = wanted.search(line)
            if found:
                return found
        raise AssertionError(f"no line matching {pattern!r}: {''.join(self.out + self.err)[-2000:]}")

    def interrupt(self, timeout: float = 60.0) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
