"""Issue 13: no engine function is over 100 lines or takes more than 10 parameters; settings beyond that
are grouped in frozen config dataclasses whose keyword overrides are checked by name."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from pathlib import Path

import pytest

MAX_LINES = 100
MAX_PARAMS = 10


def oversized(root: Path) -> list[str]:
    """Every function under ``root/unlearn_core`` over MAX_LINES lines (docstring included) or taking
    more than MAX_PARAMS named parameters (``self`` / ``cls`` not counted, nor ``*args`` / ``**kwargs``)."""
    found = []
    for path in sorted((root / "unlearn_core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            a = node.args
            n_params = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs)
            if a.args and a.args[0].arg in ("self", "cls"):
                n_params -= 1
            n_lines = node.end_lineno - node.lineno + 1
            if n_lines > MAX_LINES or n_params > MAX_PARAMS:
                found.append(f"{path.relative_to(root)}:{node.lineno} {node.name}: {n_lines} lines, "
                             f"{n_params} parameters")
    return found


def test_no_engine_function_is_too_long_or_takes_too_many_parameters(root):
    found = oversized(root)
    assert not found, (f"functions over {MAX_LINES} lines or {MAX_PARAMS} parameters (split them into "
                       "named steps, or group settings in a config dataclass):\n" + "\n".join(found))


def test_the_size_scan_catches_one(tmp_path):
    pkg = tmp_path / "unlearn_core"
    pkg.mkdir()
    long_body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    params = ", ".join(f"p{i}" for i in range(MAX_PARAMS + 1))
    method_params = ", ".join(f"q{i}" for i in range(MAX_PARAMS))  # ten, plus self: not counted
    (pkg / "m.py").write_text(f"def long():\n{long_body}\n\n\ndef wide({params}):\n    pass\n\n\n"
                              f"class C:\n    def ok(self, {method_params}):\n        pass\n")
    found = oversized(tmp_path)
    assert [f.split(" ")[1] for f in found] == ["long:", "wide:"], found


def _public_configured():
    from unlearn_core import audit, forgetting, images, results, training
    from unlearn_core.frontier import analytic, trained

    return [
        (training.fit, training.FitConfig), (training.train, training.TrainConfig),
        (trained.trained_frontier, trained.TrainedFrontierConfig),
        (analytic.analytic_frontier, analytic.AnalyticFrontierConfig),
        (audit.certificate, audit.CertificateOptions), (forgetting.unlearn, forgetting.UnlearnConfig),
        (results.write_results, results.RunRecord), (images.fit_neural_ot, images.NeuralOTConfig),
    ]


@pytest.mark.parametrize("index", range(8))
def test_an_unknown_keyword_is_named_in_the_type_error(index):
    fn, cls = _public_configured()[index]
    name = fn.__name__
    with pytest.raises(TypeError, match=rf"^{name}\(\) got an unexpected keyword argument 'no_such_option'$"):
        # the data arguments are never looked at: the keywords are checked first
        fn(*([None] * _n_data(fn)), **_required_keywords(fn, cls), no_such_option=1)
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen


def _n_data(fn) -> int:
    return sum(1 for p in inspect.signature(fn).parameters.values()
               if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and p.default is inspect.Parameter.empty)


def _required_keywords(fn, cls) -> dict:
    """Required keyword-only data arguments (e.g. write_results' tables), as None."""
    fields = {f.name for f in dataclasses.fields(cls)}
    return {p.name: None for p in inspect.signature(fn).parameters.values()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty
            and p.name not in fields}


@pytest.mark.parametrize("index", range(8))
def test_the_signature_still_lists_every_setting_with_its_default(index):
    """``inspect.signature`` (read by ui/precomputed.py, shown by help()) keeps the settings' keywords."""
    fn, cls = _public_configured()[index]
    params = inspect.signature(fn).parameters
    for f in dataclasses.fields(cls):
        assert f.name in params, f"{fn.__name__} does not list {f.name}"
        if f.default is not dataclasses.MISSING:
            assert params[f.name].default == f.default
        assert params[f.name].kind is inspect.Parameter.KEYWORD_ONLY


def test_overrides_apply_on_top_of_a_config_and_a_missing_required_keyword_is_named():
    from unlearn_core._config import resolve
    from unlearn_core.audit import CertificateOptions, certificate
    from unlearn_core.training import TrainConfig

    base = TrainConfig(lam=2.0, epochs=3)
    assert resolve(TrainConfig, base, {"epochs": 5}, "f") == TrainConfig(lam=2.0, epochs=5)
    assert resolve(TrainConfig, base, {}, "f") is base
    with pytest.raises(TypeError, match=r"^f\(\) config must be a TrainConfig"):
        resolve(TrainConfig, CertificateOptions(method="gaussian"), {}, "f")
    missing = r"^certificate\(\) missing 1 required keyword-only argument: 'method'$"
    with pytest.raises(TypeError, match=missing):
        certificate(None)


def test_a_baseline_still_ignores_keywords_that_name_no_setting():
    """repeat() passes one option set to every method: finetune & co. ignore the ones they do not have."""
    from unlearn_core.forgetting import PairedConfig
    from unlearn_core.forgetting._methods import _baseline_config

    c = _baseline_config(None, PairedConfig(lam=0.0), {"epochs": 3, "estimator": "softmax-averaging"})
    assert c == PairedConfig(lam=0.0, epochs=3)
