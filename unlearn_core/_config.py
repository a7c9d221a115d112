"""Config objects for functions with many settings: apply keyword overrides, show them in the signature.

A public function whose settings are grouped in a frozen dataclass takes ``config=None`` plus the same
settings as keywords (``f(data, config, **overrides)``); :func:`resolve` checks the keywords against the
dataclass's fields and applies them with :func:`dataclasses.replace`, and :func:`config_signature` lists
the fields in the function's signature so ``help(f)`` and ``inspect.signature(f)`` still show every
setting with its default.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

C = TypeVar("C")


def resolve(cls: type[C], config: C | None, overrides: Mapping[str, Any], func: str) -> C:
    """``config`` (default ``cls()``) with ``overrides`` applied; a TypeError names an unknown keyword."""
    if config is not None and not isinstance(config, cls):
        raise TypeError(f"{func}() config must be a {cls.__name__} or None, got {type(config).__name__}")
    fields = dataclasses.fields(cls)
    names = {f.name for f in fields}
    for key in overrides:
        if key not in names:
            raise TypeError(f"{func}() got an unexpected keyword argument {key!r}")
    if config is None:  # a field without a default is a required keyword, as it was before the config
        missing = [f.name for f in fields if f.name not in overrides and f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING]
        if missing:
            raise TypeError(f"{func}() missing {len(missing)} required keyword-only argument"
                            f"{'s' if len(missing) > 1 else ''}: " + ", ".join(repr(m) for m in missing))
        return cls(**overrides)
    return dataclasses.replace(config, **overrides) if overrides else config


def config_signature(cls: type, defaults: Any = None) -> Callable[[Callable], Callable]:
    """Decorator: show ``cls``'s fields as keyword-only parameters in place of ``**overrides``.

    ``defaults`` (an instance of ``cls``) gives the defaults shown when the function's own differ from
    the class's. A ``**kwargs`` parameter with another name (e.g. ``**ignored``) stays, last.
    """

    def decorate(fn: Callable) -> Callable:
        sig = inspect.signature(fn)
        params = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        rest = [p for p in sig.parameters.values()
                if p.kind is inspect.Parameter.VAR_KEYWORD and p.name != "overrides"]
        taken = {p.name for p in params}
        fields = dataclasses.fields(cls)
        hints = {f.name: f.type for f in fields}
        if defaults is not None:
            shown = {f.name: getattr(defaults, f.name) for f in fields}
        else:
            shown = {f.name: (f.default if f.default is not dataclasses.MISSING else f.default_factory())
                     for f in fields
                     if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING}
        kw = inspect.Parameter.KEYWORD_ONLY
        extra = [inspect.Parameter(name, kw, default=shown.get(name, inspect.Parameter.empty),
                                   annotation=hints[name]) for name in hints if name not in taken]
        positional = [p for p in params if p.kind is not inspect.Parameter.KEYWORD_ONLY]
        keyword = [p for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]
        fn.__signature__ = sig.replace(parameters=positional + keyword + extra + rest)
        return fn

    return decorate
