"""unlearn_core: the engine of the machine-unlearning explorer.

Machine unlearning via information-theoretic regularisation (Xu & Strohmer, arXiv 2502.05684):
maximise utility U(S; S') minus lam * I(S'; Z), where S' is a learning outcome (transformed data
or model outputs) and Z is what must be forgotten (a sensitive feature, or a source indicator for a
forget set).

Submodules (import them explicitly; ``import unlearn_core`` stays cheap and never imports streamlit):

- :mod:`unlearn_core.datasets`   -- the :class:`Dataset` type, built-in and uploaded data
- :mod:`unlearn_core.transport`  -- W2 barycenters and the McCann interpolation toward them
- :mod:`unlearn_core.leakage`    -- estimators of I(S'; Z) and alternative leakage measures
- :mod:`unlearn_core.frontier`   -- analytic (t-sweep) and trained (lam-sweep) frontiers
- :mod:`unlearn_core.training`   -- torch models trained with task loss + lam * I_hat
- :mod:`unlearn_core.forgetting` -- data-point (marginal) unlearning and its baselines
- :mod:`unlearn_core.audit`      -- attackers, the Pinsker bound and the leakage certificate
- :mod:`unlearn_core.plots`      -- figure builders (plotly / altair) from result objects
"""

from ._validation import SEED_MAX, check_seed  # the seed rule every page and loader shares (light)

__version__ = "0.1.0"

__all__ = ["SEED_MAX", "__version__", "check_seed"]
