"""Measures the upstream JS SDK examples here: each builds, type-checks, and its own
workflow files pass under ``devnet run`` (the table of ``docs/sdk.md``).

Run from this repository's root: ``.venv/bin/python -m bench.upstream_examples CHECKOUT
[--only NAME...]``, where CHECKOUT holds upstream's ``examples/<name>/`` (a clone of
calimero-sdk-js, with ``npm install bs58@5`` run in it). Each example is built with
``devnet build --json`` (type check on); its wasm is copied to ``build/service.wasm`` and
``build/contract.wasm``, where upstream's build script puts it and its workflow files look
for it (and where the example's own ``package.json`` build script writes it); then each
``examples/<name>/workflows/*.yml`` runs unchanged with ``devnet run`` from CHECKOUT, as
merobox runs them, and each ``*.yml`` beside an example's sources from its folder. It
prints one line per example and one per workflow file: passed, or the first failing line.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DEVNET = [sys.executable, "-m", "calimero_devnet.cli"]


def build(example: Path) -> tuple[str, str]:
    """``devnet build`` the example: (builds, type-checks), each yes/no with a reason."""
    done = subprocess.run([*DEVNET, "build", str(example), "--json"], capture_output=True,
                          text=True, timeout=900, check=False)  # fmt: skip
    try:
        report = json.loads(done.stdout)
    except ValueError:
        return f"no ({done.stderr.strip().splitlines()[-1:]})", "?"
    wasm = Path(report.get("wasm") or "")
    if not report.get("wasm") or not wasm.is_file():
        return f"no ({'; '.join(report.get('errors') or [])[:160]})", "?"
    for target in [example / "build" / "service.wasm", example / "build" / "contract.wasm",
                   *_scripted_outputs(example)]:  # fmt: skip
        shutil.copyfile(wasm, target)
    diagnostics = report.get("diagnostics") or []
    return "yes", "yes" if not diagnostics else f"no ({len(diagnostics)} error(s))"


def _scripted_outputs(example: Path) -> list[Path]:
    """Where the example's own ``package.json`` build scripts write the wasm (``-o X.wasm``)."""
    try:
        scripts = json.loads((example / "package.json").read_text()).get("scripts", {})
    except (OSError, ValueError):
        return []
    found = re.findall(r"-o\s+(\S+\.wasm)", " ".join(map(str, scripts.values())))
    return [example / name for name in found if ".." not in name]


def workflows(example: Path) -> list[tuple[Path, Path]]:
    """Each workflow file with the folder it runs from: ``workflows/*.yml`` from the
    checkout's root (as upstream runs them), ``*.yml`` beside the sources from the example's."""
    root = example.parent.parent
    return [(w, root) for w in sorted((example / "workflows").glob("*.yml"))] + [
        (w, example) for w in sorted(example.glob("*.yml"))
    ]


def run(cwd: Path, workflow: Path, data: Path) -> str:
    """``devnet run`` one workflow file from ``cwd``: passed, or why not."""
    argv = [*DEVNET, "run", str(workflow.relative_to(cwd)), "--data-dir", str(data)]
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=900,
                          check=False)  # fmt: skip
    if done.returncode == 0:
        return "passed"
    lines = (done.stdout + done.stderr).splitlines()
    failed = next((line.strip() for line in lines if "✗" in line or "error:" in line), "")
    return f"FAILED (exit {done.returncode}): {failed[:200]}"


def main(argv: list[str] | None = None) -> int:
    """Measure every example (or ``--only`` some); print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.upstream_examples")
    parser.add_argument("checkout", type=Path, help="a calimero-sdk-js checkout")
    parser.add_argument("--only", nargs="*", default=None, help="example names")
    args = parser.parse_args(argv)
    examples = sorted(p for p in (args.checkout / "examples").iterdir() if (p / "src").is_dir())
    if args.only:
        examples = [p for p in examples if p.name in args.only]
    print(f"{'example':40} {'builds':10} {'type-checks':12} workflow files")
    with tempfile.TemporaryDirectory() as tmp:
        for example in examples:
            builds, types = build(example)
            print(f"{example.name:40} {builds[:40]:10} {types:12}", flush=True)
            if builds != "yes":
                continue
            for workflow, cwd in workflows(example):
                verdict = run(cwd, workflow, Path(tmp) / example.name / workflow.stem)
                print(f"    {workflow.name}: {verdict}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
