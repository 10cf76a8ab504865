"""What a load run records: latencies and errors per interaction, and the server processes' CPU and memory.

CPU and RSS are read from /proc (Linux): the process listening on the server's port, or the pids given.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field

INTERACTIONS = ("login", "start", "answer", "next", "sheet_open", "sheet_jump", "reload_resume", "submit", "dashboard")


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    pos = (len(xs) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@dataclass
class Recorder:
    """Latencies (seconds, click to script_finished) and errors per interaction name."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    stamps: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # when each finished
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    notes: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def ok(self, name: str, seconds: float) -> None:
        self.times[name].append(seconds)
        self.stamps[name].append(time.monotonic())

    def steady_from(self) -> float | None:
        """When the last user's start finished: after it, nobody logs in or starts any more (steady state)."""
        starts = self.stamps.get("start")
        return max(starts) if starts else None

    def error(self, name: str, message: str) -> None:
        self.errors[name] += 1
        if len(self.samples[name]) < 5 and message not in self.samples[name]:
            self.samples[name].append(message[:300])

    def note(self, what: str, n: int = 1) -> None:
        self.notes[what] += n

    def total_errors(self) -> int:
        return sum(self.errors.values())

    def summary(self) -> dict[str, dict]:
        out = {}
        t0 = self.steady_from()
        names = list(INTERACTIONS) + sorted(set(self.times) | set(self.errors) - set(INTERACTIONS))
        for name in names:
            xs = self.times.get(name, [])
            if not xs and not self.errors.get(name):
                continue
            out[name] = {
                "count": len(xs),
                "errors": self.errors.get(name, 0),
                "p50_s": percentile(xs, 50),
                "p95_s": percentile(xs, 95),
                "p99_s": percentile(xs, 99),
                "max_s": max(xs) if xs else None,
                "error_samples": list(self.samples.get(name, [])),
            }
            steady = [x for x, t in zip(xs, self.stamps.get(name, [])) if t0 is not None and t > t0]
            out[name].update(
                {
                    "steady_count": len(steady),
                    "steady_p50_s": percentile(steady, 50),
                    "steady_p95_s": percentile(steady, 95),
                }
            )
        return out


# --- the server processes ----------------------------------------------------------------------------------


def pid_listening_on(port: int) -> int | None:
    """The pid of the process with a listening TCP socket on ``port`` (via /proc/net/tcp{,6} and /proc/*/fd)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as fh:
                next(fh)
                for line in fh:
                    parts = line.split()
                    local, state, inode = parts[1], parts[3], parts[9]
                    if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                        inodes.add(inode)
        except OSError:
            continue
    if not inodes:
        return None
    targets = {f"socket:[{i}]" for i in inodes}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        fd_dir = f"/proc/{pid}/fd"
        try:
            for fd in os.listdir(fd_dir):
                try:
                    if os.readlink(f"{fd_dir}/{fd}") in targets:
                        return int(pid)
                except OSError:
                    continue
        except OSError:
            continue
    return None


def _cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    except (OSError, IndexError, ValueError):
        return None


def _rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        return None
    return None


def load_average() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:
        return (0.0, 0.0, 0.0)


class ProcessSampler:
    """CPU (percent of one core) and RSS of some processes, sampled every ``interval`` seconds while running."""

    def __init__(self, pids: list[int], interval: float = 1.0) -> None:
        self.pids = [p for p in pids if p]
        self.interval = interval
        self.cpu: dict[int, list[float]] = {p: [] for p in self.pids}
        self.rss: dict[int, list[float]] = {p: [] for p in self.pids}
        self.load: list[float] = []
        self._task: asyncio.Task | None = None
        self._first: dict[int, tuple[float, float]] = {}
        self._last: dict[int, tuple[float, float]] = {}

    async def _run(self) -> None:
        prev = {p: (time.monotonic(), _cpu_seconds(p)) for p in self.pids}
        self._first = {p: v for p, v in prev.items() if v[1] is not None}
        while True:
            await asyncio.sleep(self.interval)
            self.load.append(load_average()[0])
            for p in self.pids:
                now, c = time.monotonic(), _cpu_seconds(p)
                t0, c0 = prev[p]
                if c is not None and c0 is not None and now > t0:
                    self.cpu[p].append(100.0 * (c - c0) / (now - t0))
                    self._last[p] = (now, c)
                prev[p] = (now, c)
                r = _rss_mb(p)
                if r is not None:
                    self.rss[p].append(r)

    def start(self) -> ProcessSampler:
        if self.pids:
            self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    def summary(self) -> dict:
        per = {}
        for p in self.pids:
            cpu, rss = self.cpu[p], self.rss[p]
            total = None
            if p in self._first and p in self._last and self._last[p][0] > self._first[p][0]:
                total = 100.0 * (self._last[p][1] - self._first[p][1]) / (self._last[p][0] - self._first[p][0])
            per[str(p)] = {
                "cpu_mean_pct": total,
                "cpu_p95_pct": percentile(cpu, 95),
                "cpu_max_pct": max(cpu) if cpu else None,
                "rss_start_mb": rss[0] if rss else None,
                "rss_max_mb": max(rss) if rss else None,
                "rss_end_mb": rss[-1] if rss else None,
            }
        return {
            "processes": per,
            "machine_load1_mean": (sum(self.load) / len(self.load)) if self.load else None,
            "machine_load1_max": max(self.load) if self.load else None,
            "cpus": os.cpu_count(),
        }
