"""The wheel carries what an installed ``devnet`` needs: the templates and the toolchain data."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
PROBE = (
    "from calimero_devnet.config.apps import bundled_template\n"
    "from calimero_devnet.toolchain.engine import toolchain_dir\n"
    "print(bundled_template())\n"
    "print(toolchain_dir())\n"
)


def test_an_unpacked_wheel_finds_its_templates_and_toolchain_inside_itself(
    tmp_path: Path,
) -> None:
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
             "--disable-pip-version-check", "-w", str(tmp_path / "dist"), str(REPO)]  # fmt: skip
    subprocess.run(build, check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("calimero_devnet-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for needed in ("_templates/kv-store/src/index.ts", "_templates/counter/src/index.ts",
                   "_toolchain/runtime/glue.c", "_toolchain/sdk/src/index.ts",
                   "_toolchain/package-lock.json", "py.typed"):  # fmt: skip
        assert f"calimero_devnet/{needed}" in names, needed
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], check=True, capture_output=True, text=True, timeout=60,
        cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    template, toolchain = probe.stdout.splitlines()
    assert template == str(site / "calimero_devnet" / "_templates" / "kv-store")
    assert toolchain == str(site / "calimero_devnet" / "_toolchain")
