"""The systemd unit in deploy/ is one systemd accepts, with the lifecycle the bot implements."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import ROOT

UNIT = ROOT / "deploy" / "rethread.service"


def settings_of(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))


def test_the_unit_matches_the_bots_exit_codes_and_shutdown_bound():
    unit = settings_of(UNIT.read_text())
    assert unit["Restart"] == "on-failure"
    assert unit["RestartPreventExitStatus"] == "78"  # a configuration error: restarting will not help
    assert int(unit["TimeoutStopSec"]) > 10  # the bot's own shutdown bound (bot.runtime.service)
    assert unit["ProtectSystem"] == "strict" and unit["ReadWritePaths"].endswith("/data")
    assert unit["EnvironmentFile"].endswith("/.env") and unit["User"] == "rethread"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_systemd_accepts_the_unit(tmp_path):
    """`systemd-analyze verify` on the unit, its paths pointed at this checkout (it checks that they exist)."""
    (ROOT / "data").mkdir(mode=0o700, exist_ok=True)  # as the bot makes it: the database holds tokens
    if not (ROOT / ".venv" / "bin" / "rethread").exists():
        pytest.skip("the unit starts .venv/bin/rethread, which `make` installs")
    unit = tmp_path / "rethread.service"
    unit.write_text(UNIT.read_text().replace("/opt/rethread", str(ROOT)))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and result.stderr.strip() == "" and result.stdout.strip() == "", (
        result.stdout + result.stderr)
