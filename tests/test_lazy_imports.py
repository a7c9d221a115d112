"""torch is imported only where it is used (issue 19): the estimators' registry and the analytic frontier
load none of it, the torch-based estimators and penalties still work and load it on first use."""

import subprocess
import sys


def _run(root, code: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()


def test_leakage_import_loads_no_torch(root):
    lines = _run(root, (
        "import sys\n"
        "import unlearn_core.leakage as L\n"
        "print('torch' in sys.modules)\n"
        "print(len(L.methods()))\n"
    ))
    assert lines[0] == "False", "import unlearn_core.leakage loaded torch"
    assert int(lines[1]) >= 8  # every estimator (torch-based ones included) is still registered


def test_analytic_frontier_with_default_estimator_loads_no_torch(root):
    # Gaussian maps: the OT methods import POT, whose backend module imports torch whenever it is
    # installed (ot/backend.py; POT_BACKEND_DISABLE_PYTORCH turns that off), which is POT's doing.
    lines = _run(root, (
        "import sys\n"
        "from unlearn_core import datasets\n"
        "from unlearn_core.frontier import analytic_frontier\n"
        "print('torch' in sys.modules)\n"
        "ds = datasets.load('toy-gaussians', n_samples=400, random_state=0)\n"
        "fr = analytic_frontier(ds, ts=[0.0, 0.5, 1.0], method='gaussian', random_state=0)\n"
        "print(len(fr.table))\n"
        "print('torch' in sys.modules)\n"
    ))
    assert lines == ["False", "3", "False"], lines


def test_torch_estimators_load_torch_lazily(root):
    lines = _run(root, (
        "import sys\n"
        "import numpy as np\n"
        "import unlearn_core.leakage as L\n"
        "rng = np.random.default_rng(0)\n"
        "z = rng.integers(0, 2, 400)\n"
        "S = rng.standard_normal((400, 2)) + z[:, None]\n"
        "v = L.estimate(S, z, method='hsic', n_boot=0, random_state=0).value\n"
        "print('torch' in sys.modules, v > 0)\n"
        "from unlearn_core.leakage import differentiable\n"
        "print(sorted(differentiable.PENALTIES)[:1] != [])\n"
    ))
    assert lines == ["True True", "True"], lines
