"""The README's library example runs as written, and its two set-up commands are the ones CI uses."""

from __future__ import annotations

import re
import subprocess
import sys


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_readme_library_example_runs(root):
    readme = (root / "README.md").read_text(encoding="utf-8")
    (example,) = _blocks(readme, "python")
    out = subprocess.run(
        [sys.executable, "-c", example], cwd=root, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "converged = True" in out.stdout
    assert re.search(r"^ *1\.00 ", out.stdout, flags=re.M), out.stdout  # the t = 1 row of the frontier
    assert "gradient-boosting attacker" in out.stdout  # the attacker's verdict is printed


def test_ci_runs_exactly_the_readme_test_command(root):
    readme = (root / "README.md").read_text(encoding="utf-8")
    commands = [b.strip() for b in _blocks(readme, "bash")]
    assert len(commands) == 2, "the README gives exactly two set-up commands"
    app_cmd, test_cmd = commands
    assert app_cmd.endswith("streamlit run serve.py") and "requirements.txt" in app_cmd
    assert "pytest" in test_cmd
    ci = (root / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_cmd in [line.strip() for line in ci]
