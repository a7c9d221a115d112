"""The engine never depends on the UI: importing it must not import streamlit."""

import subprocess
import sys

ENGINE_MODULES = [
    "unlearn_core",
    "unlearn_core.datasets",
    "unlearn_core.metrics",
    "unlearn_core.models",
    "unlearn_core.leakage",
    "unlearn_core.frontier",
]


def test_engine_does_not_import_streamlit(root):
    optional = ["transport", "training", "forgetting", "audit", "plots"]
    mods = ENGINE_MODULES + [f"unlearn_core.{m}" for m in optional if (root / "unlearn_core" / f"{m}.py").exists()
                             or (root / "unlearn_core" / m).is_dir()]
    code = (
        "import importlib, sys\n"
        f"for m in {mods!r}: importlib.import_module(m)\n"
        "print('streamlit' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False", "an engine module imports streamlit"


def test_bare_import_is_cheap(root):
    code = "import sys, unlearn_core; print(sorted(m for m in ('torch', 'streamlit', 'ot') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
