"""Headless batch runs: a study in a TOML file -> a results folder (:mod:`unlearn_core.results`).

Command
-------
::

    python -m unlearn_core run STUDY.toml [--out DIR] [--scheduler SPEC] [--workers N]

- ``--out DIR``: the results folder (default ``results/<study file name without .toml>``).
- ``--scheduler SPEC``: where tasks run: ``serial`` (default), ``threads:N``, ``processes:N``,
  ``local:N`` (a Dask ``LocalCluster`` of N single-threaded workers) or a Dask scheduler address such as
  ``tcp://10.0.0.5:8786`` (:func:`unlearn_core.parallel.executor_for`). Dask is optional
  (``pip install -r requirements-test.txt``); only ``local:N`` and addresses need it.
- ``--workers N``: N for a SPEC without a count; alone, it means ``local:N`` when Dask is installed and
  ``processes:N`` when it is not.

The run prints a progress bar on stderr, writes each task's partial table to ``DIR/tasks/<id>.parquet``
the moment it finishes, and at the end the assembled tables and ``manifest.json``. A rerun of the same
study into the same folder skips the finished tasks (an interrupted run resumes; a finished one does
nothing and says so). A folder holding another study, or the same study on different data, is refused.
Exit status: 0 done, 2 invalid study or options (one line per problem, each naming the field, no
traceback), 130 interrupted (rerun to resume).

Study file
----------
Top level: ``kind`` (required: ``analytic_frontier``, ``trained_frontier``, ``forgetting`` or
``certificate``) and an optional ``title``. Sections (unknown sections and keys are errors):

``[dataset]`` (required)
    ``name`` a built-in dataset (``unlearn_core.datasets.names()``) or ``"csv"``; ``sensitive`` the
    attribute Z to forget (the loader's choices; for a CSV its column); ``n_samples`` (int >= 10,
    optional subsample); for ``name = "csv"``: ``path`` (required; relative to the study file),
    ``target`` and optional ``features`` (list of column names).
``[seeds]``
    ``random_state`` (int in [0, 2**32), default 0): the seed of the data subsample, the splits and
    every task (tasks derive theirs from it and their id, :func:`unlearn_core.parallel.task_seed`).
``[grid]``
    analytic: ``ts`` (numbers in [0, 1], distinct; default the 21-point grid). trained: ``lambdas``
    (numbers >= 0, distinct; default ``frontier.trained.DEFAULT_LAMBDAS``). forgetting: ``n_trials``
    (int >= 1, default 4).
``[method]``
    analytic: ``barycenter`` (``transport.methods()``, default ``transport.DEFAULT_METHOD``) and, for
    ``ot-randomized``, ``max_plan_rows`` (int >= 2: exact plans on a seeded sample of that many rows per
    group, the way to fit 10^5-10^6 rows; see ``transport.randomized``). trained:
    ``estimator`` (the trained-against penalty, ``leakage.differentiable.PENALTIES``) and ``model``
    (``mlp`` or ``logistic``). forgetting: ``methods`` (a list from ``forgetting.METHODS``).
    certificate: ``barycenter`` (as analytic) and ``t`` (a number in [0, 1], the point of the McCann path
    that is measured; default 1).
``[evaluation]``
    analytic: ``attackers`` (list of ``hgb`` / ``logistic``, default ``["hgb"]``; one frontier per
    attacker), ``downstream`` (``logistic`` / ``hgb``), ``leakage_estimator`` (``leakage.methods()``).
    trained: ``eval_estimators`` (from ``training.EVAL_ESTIMATORS``). certificate: ``n_boot`` (0 or a
    whole number >= 2: bootstrap resamples of the intervals), ``estimates`` (distinct names from
    ``leakage.methods()``), ``ci_level`` (0 < x < 1), ``max_rows`` (int >= 10: rows the estimators
    measure); defaults those of :func:`audit.certificate`.
``[options]``
    analytic: ``test_size`` (0 < x < 1), ``keep_z`` (bool). trained: ``epochs``, ``warm_epochs``,
    ``batch_size`` (ints >= 1), ``warm_start`` (bool), ``lr`` (> 0), ``hidden`` (list of ints >= 1),
    ``test_size``. forgetting: ``lam`` (>= 0, the MI fine-tune's weight), ``epochs`` (unlearning epochs),
    ``original_epochs`` (the original model's), ``hidden``, ``test_size``, ``reference`` (bool, default
    true: a retrained model, seeded by ``random_state``, is the reference every report is compared to).
    certificate: ``test_size``.
``[forget]`` (forgetting only)
    the :class:`unlearn_core.forgetting.ForgetSpec` fields: ``kind`` (``class-fraction``, ``cohort``,
    ``random``, ``index``), ``cls``, ``fraction``, ``column``, ``op``, ``value``, ``n``, ``index``,
    ``random_state``.

Tasks and tables
----------------
- analytic: one task per attacker (``attacker=hgb``): :func:`frontier.analytic_frontier` over the t
  grid, its per-t attackers on the executor. Table ``frontier``: the frontiers' rows with an
  ``attacker`` column.
- trained, ``warm_start = false``: one task per lam (``lam=0.5``), each
  ``trained_frontier(lambdas=[lam], warm_start=False)``, equal to that lam's row of the whole sweep.
  ``warm_start = true`` (each lam starts from the previous one): one task (``sweep``), the lam chain
  trained in order and each lam's evaluation on the executor; resume is then all or nothing.
  Table ``frontier`` (``pareto`` recomputed over all rows).
- forgetting: the original model (and the reference) are trained first (deterministic, seeded; recomputed
  on resume), then one task per method and trial (``mi.trial=0``) with the seeds of
  :func:`forgetting.trial_seeds`, as :func:`forgetting.repeat` would use. Tables ``trials`` (one row per
  report, :func:`forgetting.compare` plus ``trial`` and ``seed``) and ``summary`` (mean, sd, n per method
  and metric).
- certificate: one task (``certificate``): :func:`audit.certificate` of the barycenter outcome at t
  (fitted on the training split, measured on the test split, seeded by ``random_state``), as the Audit
  page computes it. Table ``leakage`` (one row per leakage estimate with its interval); the whole
  certificate is ``manifest["meta"]["certificate"]`` (``audit.Certificate(**that)`` rebuilds it, and its
  HTML and PDF).

Example (``examples/studies/adult_trained.toml``)::

    kind = "trained_frontier"
    [dataset]
    name = "adult"
    sensitive = "sex"
    [grid]
    lambdas = [0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
    [options]
    epochs = 5
    warm_start = false
"""

from __future__ import annotations

import math
import sys
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import results as R
from .parallel import Task, make_tasks, map_tasks

KINDS = R.KINDS
SECTIONS = ("dataset", "seeds", "grid", "method", "evaluation", "options", "forget")


class StudyError(ValueError):
    """An invalid study; ``problems`` holds one message per problem, each naming the field."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# --------------------------------------------------------------------------------------------- schema


def _fmt(v: Any) -> str:
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v)


class _Checker:
    """Collects problems as ``<file>: [section].key = value: what is wrong``."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def add(self, where: str, value: Any, msg: str) -> None:
        shown = "" if value is _MISSING else f" = {_fmt(value)}"
        self.problems.append(f"{self.source}: {where}{shown}: {msg}")


_MISSING = object()


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _names(kind: str) -> dict[str, dict[str, Any]]:
    """Allowed keys per section for a kind (value: default; _MISSING when required or computed)."""
    from .frontier.analytic import DEFAULT_TS
    from .frontier.trained import DEFAULT_LAMBDAS
    from .transport import DEFAULT_METHOD

    common = {
        "dataset": {
            "name": _MISSING,
            "sensitive": None,
            "n_samples": None,
            "path": None,
            "target": None,
            "features": None,
        },
        "seeds": {"random_state": 0},
    }
    if kind == "analytic_frontier":
        return {
            **common,
            "grid": {"ts": list(DEFAULT_TS)},
            "method": {"barycenter": DEFAULT_METHOD, "max_plan_rows": None},
            "evaluation": {"attackers": ["hgb"], "downstream": "logistic", "leakage_estimator": None},
            "options": {"test_size": 0.3, "keep_z": False},
        }
    if kind == "certificate":
        import inspect

        from .audit import certificate

        d = {k: v.default for k, v in inspect.signature(certificate).parameters.items()}
        return {
            **common,
            "method": {"barycenter": DEFAULT_METHOD, "t": 1.0},
            "evaluation": {"n_boot": d["n_boot"], "estimates": list(d["estimates"]),
                           "ci_level": d["ci_level"], "max_rows": d["max_rows"]},
            "options": {"test_size": d["test_size"]},
        }
    if kind == "trained_frontier":
        return {
            **common,
            "grid": {"lambdas": list(DEFAULT_LAMBDAS)},
            "method": {"estimator": "softmax-averaging", "model": "mlp"},
            "evaluation": {"eval_estimators": ["probe", "knn"]},
            "options": {
                "epochs": 20,
                "warm_epochs": None,
                "warm_start": True,
                "batch_size": 256,
                "lr": 1e-3,
                "hidden": [64, 32],
                "test_size": 0.3,
            },
        }
    return {
        **common,
        "grid": {"n_trials": 4},
        "method": {"methods": ["mi", "retrain", "finetune", "neggrad", "relabel"]},
        "options": {
            "lam": None,
            "epochs": None,
            "original_epochs": 30,
            "hidden": [128, 64],
            "test_size": 0.2,
            "reference": True,
        },
        "forget": {
            "kind": "class-fraction",
            "cls": 3,
            "fraction": None,
            "column": None,
            "op": "==",
            "value": None,
            "n": None,
            "index": None,
            "random_state": 0,
        },
    }


@dataclass(frozen=True)
class Study:
    """A validated study: its kind, title and every section with defaults filled in."""

    kind: str
    title: str
    sections: Mapping[str, Mapping[str, Any]]
    base_dir: str = "."
    source: str = "study.toml"

    def get(self, section: str, key: str) -> Any:
        return self.sections[section][key]

    def to_dict(self) -> dict[str, Any]:
        """The study as a plain dict (what the manifest stores and a rerun compares)."""
        return {"kind": self.kind, "title": self.title, **{s: dict(v) for s, v in self.sections.items()}}


def parse_study(raw: Mapping[str, Any], *, source: str = "study.toml", base_dir: str | Path = ".") -> Study:
    """Validate a parsed TOML document; StudyError with every problem, each naming its field."""
    ck = _Checker(source)
    kind = raw.get("kind", _MISSING)
    if kind is _MISSING:
        ck.add("kind", _MISSING, f"missing; set kind to one of {', '.join(KINDS)}")
        raise StudyError(ck.problems)
    if kind not in KINDS:
        ck.add("kind", kind, f"unknown study kind; choose one of {', '.join(KINDS)}")
        raise StudyError(ck.problems)
    allowed = _names(kind)
    title = raw.get("title", "")
    if not isinstance(title, str):
        ck.add("title", title, "must be a string")
    for key, val in raw.items():
        if key in ("kind", "title"):
            continue
        if key not in allowed:
            if key in SECTIONS:
                ck.add(f"[{key}]", _MISSING, f"this section does not apply to kind = {_fmt(kind)}")
            elif isinstance(val, dict):
                ck.add(f"[{key}]", _MISSING, f"unknown section (known: {', '.join(allowed)})")
            else:
                ck.add(
                    key,
                    val,
                    "unknown key (top level: kind, title and sections "
                    f"{', '.join('[' + s + ']' for s in allowed)})",
                )
        elif not isinstance(val, dict):
            ck.add(f"[{key}]", _MISSING, "must be a table (a [section] of key = value lines)")
    if "dataset" not in raw:
        ck.add("[dataset]", _MISSING, 'missing; name the data, e.g. [dataset] name = "adult"')
    sections: dict[str, dict[str, Any]] = {}
    for sec, keys in allowed.items():
        given = raw.get(sec, {})
        if not isinstance(given, dict):
            given = {}
        for k in given:
            if k not in keys:
                ck.add(f"[{sec}].{k}", _MISSING, f"unknown key (known: {', '.join(keys)})")
        sections[sec] = {k: given.get(k, d) for k, d in keys.items()}
    if ck.problems:
        raise StudyError(ck.problems)
    _check_values(ck, kind, sections, Path(base_dir))
    if ck.problems:
        raise StudyError(ck.problems)
    return Study(kind=kind, title=title, sections=sections, base_dir=str(base_dir), source=source)


def _check_list(
    ck: _Checker,
    where: str,
    v: Any,
    item_ok: Callable[[Any], str | None],
    *,
    distinct: bool = False,
    nonempty: bool = True,
) -> None:
    if not isinstance(v, list):
        ck.add(where, v, "must be a list, e.g. [0.0, 0.5, 1.0]")
        return
    if nonempty and not v:
        ck.add(where, v, "must not be empty")
        return
    for i, x in enumerate(v):
        msg = item_ok(x)
        if msg:
            ck.add(f"{where}[{i}]", x, msg)
    if distinct and len({repr(x) for x in v}) != len(v):
        ck.add(where, v, "values must be distinct")


def _check_values(ck: _Checker, kind: str, s: dict[str, dict[str, Any]], base_dir: Path) -> None:
    """Check the study's values: the dataset and seed, then the sections of its ``kind``."""
    _check_dataset(ck, s, base_dir)
    chk = _Fields(ck, s)
    if kind == "analytic_frontier":
        _check_analytic(chk)
    elif kind == "trained_frontier":
        _check_trained(chk)
    elif kind == "certificate":
        _check_certificate(chk)
    else:
        _check_forgetting(chk)


def _check_dataset(ck: _Checker, s: dict[str, dict[str, Any]], base_dir: Path) -> None:
    """The [dataset] section and the seed."""
    from . import datasets

    d = s["dataset"]
    if not isinstance(d["name"], str):
        ck.add("[dataset].name", d["name"], "must be a dataset name (a string)")
    elif d["name"] != "csv" and d["name"] not in datasets.names():
        ck.add(
            "[dataset].name",
            d["name"],
            f"unknown dataset; choose one of {', '.join(datasets.names())} or csv",
        )
    for key in ("sensitive", "target", "path"):
        if d[key] is not None and not isinstance(d[key], str):
            ck.add(f"[dataset].{key}", d[key], "must be a string")
    if d["n_samples"] is not None and (not _is_int(d["n_samples"]) or d["n_samples"] < 10):
        ck.add("[dataset].n_samples", d["n_samples"], "must be a whole number >= 10")
    if d["features"] is not None:
        _check_list(
            ck, "[dataset].features", d["features"], lambda x: None if isinstance(x, str) else "a column name"
        )
    if d["name"] == "csv":
        if d["path"] is None:
            ck.add("[dataset].path", _MISSING, 'required when name = "csv"')
        elif not (base_dir / d["path"]).is_file():
            ck.add("[dataset].path", d["path"], f"no such file (looked in {base_dir})")
        if d["sensitive"] is None:
            ck.add("[dataset].sensitive", _MISSING, 'required when name = "csv" (the column to forget)')
    else:
        for key in ("path", "target", "features"):
            if d[key] is not None:
                ck.add(f"[dataset].{key}", d[key], 'only applies to name = "csv"')
    seed = s["seeds"]["random_state"]
    if not _is_int(seed) or not 0 <= seed < 2**32:
        ck.add("[seeds].random_state", seed, "must be a whole number in [0, 2**32)")


@dataclass
class _Fields:
    """Checks of one value ``[sec].key`` of the study ``s``, each adding its problem to ``ck``."""

    ck: _Checker
    s: dict[str, dict[str, Any]]

    def test_size(self, sec: str) -> None:
        """A share strictly between 0 and 1."""
        v = self.s[sec]["test_size"]
        if not _is_num(v) or not 0 < v < 1:
            self.ck.add(f"[{sec}].test_size", v, "must be a number strictly between 0 and 1")

    def positive_int(self, sec: str, key: str, *, optional: bool = False) -> None:
        """A whole number >= 1 (or None when optional)."""
        v = self.s[sec][key]
        if optional and v is None:
            return
        if not _is_int(v) or v < 1:
            self.ck.add(f"[{sec}].{key}", v, "must be a whole number >= 1")

    def boolean(self, sec: str, key: str) -> None:
        """true or false."""
        if not isinstance(self.s[sec][key], bool):
            self.ck.add(f"[{sec}].{key}", self.s[sec][key], "must be true or false")

    def one_of(self, sec: str, key: str, choices: Sequence[str], *, optional: bool = False) -> None:
        """One of ``choices`` (or None when optional)."""
        v = self.s[sec][key]
        if optional and v is None:
            return
        if v not in choices:
            self.ck.add(f"[{sec}].{key}", v, f"unknown name; choose one of {', '.join(choices)}")

    def hidden(self, sec: str) -> None:
        """Layer widths: whole numbers >= 1."""
        _check_list(
            self.ck,
            f"[{sec}].hidden",
            self.s[sec]["hidden"],
            lambda x: None if _is_int(x) and x >= 1 else "layer widths must be whole numbers >= 1",
        )


def _check_certificate(chk: _Fields) -> None:
    """The sections of a certificate study (the Audit page's view: method, t, evaluation, split)."""
    ck, s = chk.ck, chk.s
    one_of, test_size = chk.one_of, chk.test_size
    from . import leakage, transport

    one_of("method", "barycenter", transport.methods())
    t = s["method"]["t"]
    if not _is_num(t) or not 0 <= t <= 1:
        ck.add("[method].t", t, "must be a number in [0, 1]")
    n_boot = s["evaluation"]["n_boot"]
    if not _is_int(n_boot) or n_boot < 0 or n_boot == 1:
        ck.add("[evaluation].n_boot", n_boot, "must be 0 (no intervals) or a whole number >= 2")
    names = leakage.methods()
    _check_list(
        ck,
        "[evaluation].estimates",
        s["evaluation"]["estimates"],
        lambda x: None if x in names else f"unknown estimator; choose from {', '.join(names)}",
        distinct=True,
    )
    lvl = s["evaluation"]["ci_level"]
    if not _is_num(lvl) or not 0 < lvl < 1:
        ck.add("[evaluation].ci_level", lvl, "must be a number strictly between 0 and 1")
    rows = s["evaluation"]["max_rows"]
    if not _is_int(rows) or rows < 10:
        ck.add("[evaluation].max_rows", rows, "must be a whole number >= 10")
    test_size("options")


def _check_analytic(chk: _Fields) -> None:
    """The sections of an analytic_frontier study."""
    ck, s = chk.ck, chk.s
    from . import leakage, transport

    _check_list(
        ck,
        "[grid].ts",
        s["grid"]["ts"],
        lambda x: None if _is_num(x) and 0 <= x <= 1 else "t must be a number in [0, 1]",
        distinct=True,
    )
    chk.one_of("method", "barycenter", transport.methods())
    cap = s["method"]["max_plan_rows"]
    if cap is not None:
        if not _is_int(cap) or cap < 2:
            ck.add("[method].max_plan_rows", cap, "must be a whole number >= 2")
        elif s["method"]["barycenter"] != "ot-randomized":
            ck.add("[method].max_plan_rows", cap, 'only applies to barycenter = "ot-randomized"')
    _check_list(
        ck,
        "[evaluation].attackers",
        s["evaluation"]["attackers"],
        lambda x: None if x in ("hgb", "logistic") else "unknown attacker; choose hgb or logistic",
        distinct=True,
    )
    chk.one_of("evaluation", "downstream", ("logistic", "hgb"))
    chk.one_of("evaluation", "leakage_estimator", leakage.methods(), optional=True)
    chk.test_size("options")
    chk.boolean("options", "keep_z")


def _check_trained(chk: _Fields) -> None:
    """The sections of a trained_frontier study."""
    ck, s = chk.ck, chk.s
    from .leakage.differentiable import PENALTIES
    from .training import EVAL_ESTIMATORS

    _check_list(
        ck,
        "[grid].lambdas",
        s["grid"]["lambdas"],
        lambda x: None if _is_num(x) and math.isfinite(x) and x >= 0 else "λ must be >= 0",
        distinct=True,
    )
    chk.one_of("method", "estimator", list(PENALTIES))
    chk.one_of("method", "model", ("mlp", "logistic"))
    _check_list(
        ck,
        "[evaluation].eval_estimators",
        s["evaluation"]["eval_estimators"],
        lambda x: (
            None if x in EVAL_ESTIMATORS else f"unknown estimator; choose {', '.join(EVAL_ESTIMATORS)}"
        ),
        nonempty=False,
    )
    for key in ("epochs", "batch_size"):
        chk.positive_int("options", key)
    chk.positive_int("options", "warm_epochs", optional=True)
    chk.boolean("options", "warm_start")
    lr = s["options"]["lr"]
    if not _is_num(lr) or not (math.isfinite(lr) and lr > 0):
        ck.add("[options].lr", lr, "must be a number > 0")
    chk.hidden("options")
    chk.test_size("options")


def _check_forgetting(chk: _Fields) -> None:
    """The sections of a forgetting study."""
    ck, s = chk.ck, chk.s
    from .forgetting import KINDS as FORGET_KINDS
    from .forgetting import METHODS, ForgetSpec

    chk.positive_int("grid", "n_trials")
    _check_list(
        ck,
        "[method].methods",
        s["method"]["methods"],
        lambda x: None if x in METHODS else f"unknown method; choose one of {', '.join(METHODS)}",
        distinct=True,
    )
    lam = s["options"]["lam"]
    if lam is not None and (not _is_num(lam) or not math.isfinite(lam) or lam < 0):
        ck.add("[options].lam", lam, "λ must be >= 0")
    chk.positive_int("options", "epochs", optional=True)
    chk.positive_int("options", "original_epochs")
    chk.hidden("options")
    chk.test_size("options")
    chk.boolean("options", "reference")
    f = dict(s["forget"])
    if f["kind"] not in FORGET_KINDS:
        ck.add(
            "[forget].kind",
            f["kind"],
            f"unknown forget set kind; choose one of {', '.join(FORGET_KINDS)}",
        )
    else:
        for key in ("value", "index"):
            if isinstance(f[key], list):
                f[key] = tuple(f[key])
        try:
            ForgetSpec(**f)
        except (TypeError, ValueError) as exc:
            ck.add("[forget]", _MISSING, str(exc))


def load_study(path: str | Path) -> Study:
    """Read and validate a study TOML file (StudyError naming the file and each problem)."""
    p = Path(path)
    source = p.name
    if not p.is_file():
        raise StudyError([f"{path}: no such file"])
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise StudyError([f"{source}: not a UTF-8 text file ({exc})"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise StudyError([f"{source}: not valid TOML: {exc}"]) from exc
    return parse_study(raw, source=source, base_dir=p.resolve().parent)


# ----------------------------------------------------------------------------------------------- data


def load_data(study: Study):
    """The Dataset a study names (seeded subsample when ``n_samples`` is set)."""
    from . import datasets

    d = study.sections["dataset"]
    seed = study.get("seeds", "random_state")
    if d["name"] == "csv":
        ds = datasets.from_csv(
            Path(study.base_dir) / d["path"],
            target=d["target"],
            sensitive=d["sensitive"],
            features=d["features"],
        )
        if d["n_samples"] is not None and d["n_samples"] < len(ds.X):
            rows = np.sort(np.random.default_rng(seed).choice(len(ds.X), d["n_samples"], replace=False))
            ds = ds.subset(rows)
        return ds
    opts: dict[str, Any] = {"random_state": seed}
    if d["sensitive"] is not None:
        opts["sensitive"] = d["sensitive"]
    if d["n_samples"] is not None:
        opts["n_samples"] = d["n_samples"]
    return datasets.load(d["name"], **opts)


# ---------------------------------------------------------------------------------------------- tasks


@dataclass(frozen=True, eq=False)
class _Ctx:
    """What every task of a study reads (sent to workers once)."""

    study: Study
    dataset: Any
    extra: Any = None


def _frame(table: pd.DataFrame, meta: Mapping[str, Any], seconds: float) -> pd.DataFrame:
    out = table.reset_index(drop=True).copy()
    out.attrs = {"meta": R._json_safe(dict(meta)), "seconds": float(seconds)}
    return out


def _analytic_task(task: Task, ctx: _Ctx, executor: Executor | None = None) -> pd.DataFrame:
    from .frontier import analytic_frontier

    st = ctx.study
    t0 = time.perf_counter()
    fr = analytic_frontier(
        ctx.dataset,
        method=st.get("method", "barycenter"),
        ts=st.get("grid", "ts"),
        attacker=task.payload,
        downstream=st.get("evaluation", "downstream"),
        keep_z=st.get("options", "keep_z"),
        leakage_estimator=st.get("evaluation", "leakage_estimator"),
        test_size=st.get("options", "test_size"),
        random_state=st.get("seeds", "random_state"),
        executor=executor,
        method_options=_method_options(st),
    )
    table = fr.table.copy()
    table.insert(0, "attacker", task.payload)
    meta = {
        "utility": fr.utility,
        "leakage": fr.leakage,
        "V": fr.meta["V"],
        "method": fr.meta["method"],
        "n_train": fr.meta["n_train"],
        "n_test": fr.meta["n_test"],
    }
    return _frame(table, meta, time.perf_counter() - t0)


def _method_options(st: Study) -> dict[str, Any]:
    cap = st.get("method", "max_plan_rows")
    return {} if cap is None else {"max_plan_rows": int(cap)}


def _trained_kwargs(st: Study) -> dict[str, Any]:
    o = st.sections["options"]
    return dict(
        estimator=st.get("method", "estimator"),
        model=st.get("method", "model"),
        hidden=tuple(o["hidden"]),
        epochs=o["epochs"],
        warm_epochs=o["warm_epochs"],
        batch_size=o["batch_size"],
        lr=float(o["lr"]),
        test_size=o["test_size"],
        eval_estimators=tuple(st.get("evaluation", "eval_estimators")),
        random_state=st.get("seeds", "random_state"),
    )


def _trained_task(task: Task, ctx: _Ctx, executor: Executor | None = None) -> pd.DataFrame:
    from .frontier import trained_frontier

    st = ctx.study
    t0 = time.perf_counter()
    if task.payload is None:  # the warm-started chain as one task
        fr = trained_frontier(
            ctx.dataset,
            lambdas=st.get("grid", "lambdas"),
            warm_start=True,
            executor=executor,
            **_trained_kwargs(st),
        )
    else:
        fr = trained_frontier(ctx.dataset, lambdas=[task.payload], warm_start=False, **_trained_kwargs(st))
    meta = {
        "utility": fr.utility,
        "leakage": fr.leakage,
        "messages": list(fr.meta["messages"]),
        "n_train": fr.meta["n_train"],
        "n_test": fr.meta["n_test"],
    }
    return _frame(fr.table.drop(columns=["pareto"]), meta, time.perf_counter() - t0)


def _forget_task(task: Task, ctx: _Ctx, executor: Executor | None = None) -> pd.DataFrame:
    from .forgetting import METHODS, compare

    st = ctx.study
    method, trial, seed = task.payload
    original, problem, reference = ctx.extra
    t0 = time.perf_counter()
    rep = METHODS[method](original, problem, random_state=seed, reference=reference, **_forget_options(st))
    table = compare([rep]).assign(trial=trial, seed=seed)
    return _frame(table, {}, time.perf_counter() - t0)


def _forget_options(st: Study) -> dict[str, Any]:
    o = st.sections["options"]
    return {k: o[k] for k in ("lam", "epochs") if o[k] is not None}


def _certificate_task(task: Task, ctx: _Ctx, executor: Executor | None = None) -> pd.DataFrame:
    """``audit.certificate`` with the study's arguments: the seed is the study's (as the Audit page passes
    its view's seed), not the task's."""
    from .audit import certificate

    st = ctx.study
    ev = st.sections["evaluation"]
    t0 = time.perf_counter()
    cert = certificate(
        ctx.dataset,
        method=st.get("method", "barycenter"),
        t=float(st.get("method", "t")),
        random_state=st.get("seeds", "random_state"),
        n_boot=ev["n_boot"],
        estimates=tuple(ev["estimates"]),
        ci_level=float(ev["ci_level"]),
        max_rows=ev["max_rows"],
        test_size=float(st.get("options", "test_size")),
    )
    d = cert.as_dict()
    table = pd.DataFrame(
        [
            {
                "method": e["method"],
                "title": e["title"],
                "is_mi": bool(e["is_mi"]),
                "unit": str(e["unit"]),
                "value": np.nan if e["value"] is None else float(e["value"]),
                "ci_low": np.nan if not e["ci"] or e["ci"][0] is None else float(e["ci"][0]),
                "ci_high": np.nan if not e["ci"] or e["ci"][1] is None else float(e["ci"][1]),
                "n": e["n"],
            }
            for e in d["leakage"]
        ]
    )
    return _frame(table, {"certificate": d}, time.perf_counter() - t0)


_TASK_FNS: dict[str, Callable[..., pd.DataFrame]] = {
    "analytic_frontier": _analytic_task,
    "trained_frontier": _trained_task,
    "forgetting": _forget_task,
    "certificate": _certificate_task,
}


def _run_in_worker(task: Task, ctx: _Ctx) -> pd.DataFrame:
    return _TASK_FNS[ctx.study.kind](task, ctx)


def plan(study: Study) -> list[Task]:
    """The study's tasks, in order, with stable ids (resume files) and seeds from (random_state, id)."""
    seed = study.get("seeds", "random_state")
    if study.kind == "certificate":
        return make_tasks([None], ids=["certificate"], base_seed=seed)
    if study.kind == "analytic_frontier":
        atts = study.get("evaluation", "attackers")
        return make_tasks(atts, ids=[f"attacker={a}" for a in atts], base_seed=seed)
    if study.kind == "trained_frontier":
        lams = sorted(float(x) for x in study.get("grid", "lambdas"))
        if study.get("options", "warm_start"):
            return make_tasks([None], ids=["sweep"], base_seed=seed)
        return make_tasks(lams, ids=[f"lam={lam!r}" for lam in lams], base_seed=seed)
    from .forgetting import trial_seeds

    n = study.get("grid", "n_trials")
    seeds = trial_seeds(seed, n)
    payloads, ids = [], []
    for m in study.get("method", "methods"):
        for i, s in enumerate(seeds):
            payloads.append((m, i, s))
            ids.append(f"{m}.trial={i}")
    return make_tasks(payloads, ids=ids, base_seed=seed)


def _prepare_forgetting(study: Study, dataset, log: Callable[[str], None]):
    from . import forgetting as fg

    f = dict(study.sections["forget"])
    for key in ("value", "index"):
        if isinstance(f[key], list):
            f[key] = tuple(f[key])
    seed = study.get("seeds", "random_state")
    o = study.sections["options"]
    problem = fg.prepare(dataset, fg.ForgetSpec(**f), test_size=o["test_size"], random_state=seed)
    log(f"training the original model ({o['original_epochs']} epochs)…")
    original = fg.train_original(
        problem, hidden=tuple(o["hidden"]), epochs=o["original_epochs"], random_state=seed
    )
    reference = None
    if o["reference"]:
        log("retraining the reference model on the retained data…")
        reference = fg.retrain(original, problem, random_state=seed)
    return original, problem, reference


def _assemble(study: Study, tasks: list[Task], parts: dict[str, pd.DataFrame]) -> tuple[dict, dict]:
    frames = [parts[t.id] for t in tasks]
    metas = [f.attrs.get("meta", {}) for f in frames]
    if study.kind == "certificate":
        table = frames[0].copy()
        table.attrs = {}  # the certificate goes into the manifest once, not again into the Parquet file
        return {"leakage": table}, {"certificate": metas[0]["certificate"]}
    if study.kind == "analytic_frontier":
        table = pd.concat(frames, ignore_index=True)
        meta = {
            "frontier": {
                "kind": "analytic",
                "param": "t",
                "utility": metas[0]["utility"],
                "leakage": {t.payload: m["leakage"] for t, m in zip(tasks, metas, strict=True)},
                "V": metas[0]["V"],
                "method": metas[0]["method"],
                "n_train": metas[0]["n_train"],
                "n_test": metas[0]["n_test"],
            }
        }
        return {"frontier": table}, meta
    if study.kind == "trained_frontier":
        from .frontier import Frontier

        table = pd.concat(frames, ignore_index=True).sort_values("lam", kind="stable")
        fr = Frontier.build(
            table, kind="trained", param="lam", utility=metas[0]["utility"], leakage=metas[0]["leakage"]
        )
        messages = [m for meta in metas for m in meta.get("messages", [])]
        meta = {
            "frontier": {
                "kind": "trained",
                "param": "lam",
                "utility": fr.utility,
                "leakage": fr.leakage,
                "messages": messages,
                "n_train": metas[0]["n_train"],
                "n_test": metas[0]["n_test"],
            }
        }
        return {"frontier": fr.table}, meta
    from .forgetting import METRICS

    trials = pd.concat(frames, ignore_index=True)
    rows = []
    for method, grp in trials.groupby("method", sort=False):
        cols = [c for c in (*METRICS, "time_ratio") if c in grp and grp[c].notna().all()]
        vals = grp[cols].astype(float)
        sd = vals.std(ddof=1) if len(vals) > 1 else vals.mean() * 0.0
        for c in cols:
            rows.append(
                {
                    "method": method,
                    "metric": c,
                    "mean": float(vals[c].mean()),
                    "sd": float(sd[c]),
                    "n": len(vals),
                }
            )
    return {"trials": trials, "summary": pd.DataFrame(rows)}, {
        "trials": {"n_trials": study.get("grid", "n_trials")}
    }


# ------------------------------------------------------------------------------------------------ run


@dataclass
class RunSummary:
    """What :func:`run_study` did: tasks computed now, skipped (already on disk), and the folder."""

    out: Path
    computed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    nothing_to_do: bool = False
    seconds: float = 0.0


class _Bar:
    """A plain progress bar on stderr (one line per update when stderr is not a terminal)."""

    def __init__(self, total: int, stream=None) -> None:
        self.total, self.stream = max(int(total), 1), stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.perf_counter()

    def update(self, done: int, label: str) -> None:
        frac = min(done / self.total, 1.0)
        bar = "#" * int(30 * frac) + "." * (30 - int(30 * frac))
        line = f"[{bar}] {done}/{self.total} tasks  {label}  {time.perf_counter() - self.start:.1f} s"
        self.stream.write(("\r" + line) if self.tty else (line + "\n"))
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def run_study(
    study: Study,
    out: str | Path,
    *,
    executor: Executor | None = None,
    log: Callable[[str], None] | None = None,
    progress: bool = True,
) -> RunSummary:
    """Run (or resume) ``study`` into the folder ``out``; see the module docstring.

    Raises StudyError when ``out`` holds results of another study or of other data.
    """
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    out = Path(out)
    start = time.perf_counter()
    study_dict = R._json_safe(study.to_dict())
    dataset = load_data(study)
    data = R.data_summary(dataset)
    previous = _previous_run(out, study_dict, data)
    if previous is not None and previous["complete"]:
        log(f"{out}: this study is already complete ({previous['tasks']['total']} tasks); nothing to do")
        return RunSummary(out=out, skipped=list(previous["tasks"]["done"]), nothing_to_do=True)
    tasks = plan(study)
    ids = [t.id for t in tasks]
    parts = R.read_tasks(out, ids)
    todo = [t for t in tasks if t.id not in parts]
    summary = RunSummary(out=out, skipped=[t.id for t in tasks if t.id in parts])
    if summary.skipped:
        log(
            f"resuming: {len(summary.skipped)} of {len(tasks)} tasks already done "
            f"({', '.join(summary.skipped)})"
        )
    per_task = {tid: float(df.attrs.get("seconds", float("nan"))) for tid, df in parts.items()}
    seeds = {"random_state": study.get("seeds", "random_state"), "tasks": {t.id: t.seed for t in tasks}}

    def manifest(complete: bool, tables: Mapping[str, pd.DataFrame] | None = None, meta=None) -> None:
        R.write_results(
            out,
            kind=study.kind,
            study=study_dict,
            data=data,
            seeds=seeds,
            tables=tables or {},
            tasks_done=[t for t in ids if t in parts],
            tasks_total=len(tasks),
            total_s=(previous or {}).get("timings", {}).get("total_s", 0.0) + time.perf_counter() - start,
            per_task_s=per_task,
            complete=complete,
            meta=meta,
            notes=[study.title] if study.title else [],
        )

    manifest(False)
    extra = _prepare_forgetting(study, dataset, log) if (study.kind == "forgetting" and todo) else None
    ctx = _Ctx(study=study, dataset=dataset, extra=extra)
    bar = _Bar(len(tasks)) if progress else None
    if bar:
        bar.update(len(parts), "resumed" if parts else "starting")

    def finished(task: Task, table: pd.DataFrame) -> None:
        R.write_task(out, task.id, table)
        parts[task.id] = table
        per_task[task.id] = float(table.attrs.get("seconds", float("nan")))
        summary.computed.append(task.id)
        if bar:
            bar.update(len(parts), task.id)

    _run_tasks(study, todo, ctx, executor, finished)
    if bar:
        bar.close()
    tables, meta = _assemble(study, tasks, parts)
    manifest(True, tables, meta)
    summary.seconds = time.perf_counter() - start
    log(
        f"{out}: done ({len(summary.computed)} tasks computed, {len(summary.skipped)} resumed) in "
        f"{summary.seconds:.1f} s; tables: {', '.join(tables)}"
    )
    return summary


def _previous_run(out: Path, study_dict: dict, data: dict) -> dict | None:
    """The manifest already in ``out`` (None when there is none); StudyError when it is another study's."""
    if not (out / R.MANIFEST).is_file():
        return None
    try:
        previous = R.read_manifest(out)
    except R.ResultsError as exc:
        raise StudyError([f"--out {out}: {exc}; choose another folder"]) from exc
    if previous["study"] != study_dict:
        raise StudyError([f"--out {out}: holds results of a different study; choose another folder"])
    if previous["data"]["sha256"] != data["sha256"]:
        raise StudyError(
            [
                f"--out {out}: was computed on different data (sha256 {previous['data']['sha256'][:12]}… "
                f"vs {data['sha256'][:12]}…); choose another folder"
            ]
        )
    return previous


def _run_tasks(study: Study, todo: list, ctx, executor: Executor | None, finished) -> None:
    """Compute the tasks still to do, here (the executor running each one's inner loop) or on the executor."""
    inner = study.kind in ("analytic_frontier", "certificate") or (
        study.kind == "trained_frontier" and study.get("options", "warm_start")
    )
    if inner or executor is None:
        # tasks in this process; the executor (if any) runs each task's inner loop (a certificate has none)
        fn = _TASK_FNS[study.kind]
        from ._utils import limit_threads

        for task in todo:
            with limit_threads(1):
                finished(task, fn(task, ctx, executor))
    else:
        map_tasks(_run_in_worker, todo, executor, shared=ctx, on_result=finished)


def _scheduler_spec(scheduler: str | None, workers: int | None) -> str | None:
    if scheduler is not None:
        return scheduler
    if workers is None:
        return None
    import importlib.util

    return f"local:{workers}" if importlib.util.find_spec("distributed") else f"processes:{workers}"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m unlearn_core run STUDY.toml [--out DIR] [--scheduler SPEC] [--workers N]``."""
    import argparse

    from .parallel import executor_for

    parser = argparse.ArgumentParser(
        prog="python -m unlearn_core", description="Headless runs of the unlearning engine."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run (or resume) a study described in a TOML file")
    run.add_argument("study", help="the study file (see unlearn_core.batch for its schema)")
    run.add_argument("--out", help="results folder (default results/<study name>)")
    run.add_argument("--scheduler", help="serial, threads:N, processes:N, local:N or a Dask address")
    run.add_argument("--workers", type=int, help="workers for a scheduler without a count (alone: local:N)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.workers is not None and args.workers < 1:
        print("--workers: must be a whole number >= 1", file=sys.stderr)
        return 2
    try:
        study = load_study(args.study)
        out = Path(args.out) if args.out else Path("results") / Path(args.study).stem
        spec = _scheduler_spec(args.scheduler, args.workers)
        with executor_for(spec, workers=args.workers) as ex:
            run_study(study, out, executor=ex, progress=not args.quiet)
    except StudyError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted; rerun the same command to resume from the finished tasks", file=sys.stderr)
        return 130
    except (ValueError, OSError) as exc:  # data / engine errors carry a readable message
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


__all__ = [
    "RunSummary",
    "Study",
    "StudyError",
    "load_data",
    "load_study",
    "main",
    "parse_study",
    "plan",
    "run_study",
]
