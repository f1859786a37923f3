"""Builds side by side on one snapshot (issue 22): wall time, CPU seconds and peak memory of
``check --format jsonl`` and ``sync --out``, runs alternated, and whether the outputs agree.

    python bench/speed.py --snapshot /dev/shm/nat --tahun 2025 \\
        --build base=/work/wt/cepat-base/src --build new=src \\
        --refsync /work/genvenv/bin/python:../shared/bench/refsync.py --runs 2

Each ``--build NAME=SRC`` runs ``selaras`` from the source folder SRC (put first on the module
path, so one environment serves every build); ``--refsync PYTHON:SCRIPT`` adds the SQL yardstick
(same arguments). Every run is its own process; wall time is measured around it, CPU (user +
system) and peak memory come from ``wait4``. On a shared machine wall times carry the other
work's noise: CPU seconds are the steadier yardstick. The JSON lines of each build (sorted) and
its output files (byte for byte) are compared with the first build's; the yardstick's are not
(its JSON has other fields).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

_MAIN = "import sys; sys.argv[0] = 'selaras'; from selaras.cli import main; main()"


def _command(build: str, args: list[str]) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    if build.startswith("refsync:"):
        python, script = build.removeprefix("refsync:").split(":", 1)
        return [python, script, *args], env
    env["PYTHONPATH"] = str(Path(build).resolve())
    return [sys.executable, "-c", _MAIN, *args], env


def run(label: str, build: str, args: list[str], out: Path) -> tuple[float, float, float, int]:
    """One run, its stdout to ``out``: (wall s, CPU s, peak GiB, exit code)."""
    cmd, env = _command(build, args)
    start = time.perf_counter()
    with out.open("wb") as f:
        proc = subprocess.Popen(cmd, stdout=f, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    cpu = usage.ru_utime + usage.ru_stime
    peak = usage.ru_maxrss / 1024 / 1024  # KiB -> GiB
    code = os.waitstatus_to_exitcode(status)
    print(f"{label:<24} {wall:7.1f} s wall {cpu:7.1f} s CPU {peak:6.2f} GiB exit {code}", flush=True)
    return wall, cpu, peak, code


def _same_lines(a: Path, b: Path) -> bool:
    return sorted(a.read_bytes().splitlines()) == sorted(b.read_bytes().splitlines())


def _same_files(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir())
    if names != sorted(p.name for p in b.iterdir()):
        return False
    return all(filecmp.cmp(a / n, b / n, shallow=False) for n in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snapshot", type=Path, required=True)
    parser.add_argument("--tahun", type=int, required=True)
    parser.add_argument("--build", action="append", default=[], help="NAME=SRC (a source folder)")
    parser.add_argument("--refsync", help="PYTHON:SCRIPT of the SQL yardstick")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--steps", default="check,sync")
    parser.add_argument("--work", type=Path, default=Path("/dev/shm/speed"))
    a = parser.parse_args()
    builds = dict(b.split("=", 1) for b in a.build)
    if a.refsync:
        builds["refsync"] = f"refsync:{a.refsync}"
    a.work.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, int, float, float, float]] = []
    for i in range(a.runs):
        for step in a.steps.split(","):
            for name, build in builds.items():
                folder = a.work / f"{name}-synced"
                shutil.rmtree(folder, ignore_errors=True)
                args = [step, "--snapshot", str(a.snapshot), "--tahun", str(a.tahun)]
                if not (name == "refsync" and step == "sync"):  # its sync has no --format
                    args += ["--format", "jsonl"]
                if step == "sync":
                    args += ["--out", str(folder)]
                wall, cpu, peak, _ = run(f"{step} {name} #{i + 1}", build, args, a.work / f"{name}-{step}.jsonl")
                rows.append((step, name, i + 1, wall, cpu, peak))
                if step == "sync" and name != "refsync" and name != next(iter(builds)):
                    first = a.work / f"{next(iter(builds))}-synced"
                    print(f"  output files as {next(iter(builds))}'s: {_same_files(first, folder)}")
        first = next(iter(builds))
        for step in a.steps.split(","):
            for name in builds:
                if name not in (first, "refsync"):
                    same = _same_lines(a.work / f"{first}-{step}.jsonl", a.work / f"{name}-{step}.jsonl")
                    print(f"{step} {name}: JSON lines as {first}'s: {same}")
    print("\n| step | build | run | wall | CPU (user + sys) | peak |\n|---|---|---:|---:|---:|---:|")
    for step, name, i, wall, cpu, peak in rows:
        print(f"| `{step}` | {name} | {i} | {wall:.1f} s | {cpu:.1f} s | {peak:.2f} GiB |")


if __name__ == "__main__":
    main()
