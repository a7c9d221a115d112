"""Crafted links (issue 16): no link crashes the app, every value not used as given is named in a
visible notice, and the seed shown in the sidebar is the seed the engine computes with."""

from __future__ import annotations

import re

import pytest
from app_helpers import open_app

SEED_MAX = 2**32 - 1

# (id, query parameters, notice fragments that must be shown, state checks {field: value})
LINKS = [
    ("lam negative", {"lam": "-1"}, ["λ = '-1' in the link is negative"], {"t": 0.0}),
    ("lam slightly negative", {"lam": "-0.5"}, ["is negative"], {"t": 0.0}),
    ("lam text", {"lam": "abc"}, ["λ 'abc' in the link is not a number"], {"t": 0.5}),
    ("lam nan", {"lam": "nan"}, ["is not a number"], {"t": 0.5}),
    ("lam inf", {"lam": "inf"}, [], {"t": 1.0}),
    ("lam off the grid", {"lam": "2"}, ["between the slider's steps; using t = 0.65"], {"t": 0.65}),
    ("t above 1", {"t": "7"}, ["t = '7' in the link is outside [0, 1]; using t = 1"], {"t": 1.0}),
    ("t below 0", {"t": "-1"}, ["outside [0, 1]; using t = 0"], {"t": 0.0}),
    ("t overflow", {"t": "1e400"}, ["outside [0, 1]"], {"t": 1.0}),
    ("t nan", {"t": "NaN"}, ["t 'NaN' in the link is not a number"], {"t": 0.5}),
    ("t text", {"t": "half"}, ["is not a number"], {"t": 0.5}),
    ("t off the grid", {"t": "0.33"}, ["using t = 0.35"], {"t": 0.35}),
    ("t and lam disagree", {"t": "0.3", "lam": "5"}, ["t wins: t = 0.3"], {"t": 0.3}),
    ("t and lam agree", {"t": "0.5", "lam": "1"}, [], {"t": 0.5}),
    ("seed negative", {"seed": "-5"}, ["Seed '-5' in the link is not an integer in [0, 2**32 - 1]"],
     {"seed": 0}),
    ("seed above int32", {"seed": "2147483648"}, [], {"seed": 2147483648}),
    ("seed at the top", {"seed": str(SEED_MAX)}, [], {"seed": SEED_MAX}),
    ("seed just over", {"seed": str(SEED_MAX + 1)}, ["Seed '4294967296'"], {"seed": 0}),
    ("seed huge", {"seed": str(10**30)}, ["Seed '1000000000000000000000000000000'"], {"seed": 0}),
    ("seed float", {"seed": "1.5"}, ["Seed '1.5'"], {"seed": 0}),
    ("seed text", {"seed": "abc"}, ["Seed 'abc'"], {"seed": 0}),
    ("seed empty", {"seed": ""}, ["Seed ''"], {"seed": 0}),
    ("seed padded", {"seed": " 042 "}, [], {"seed": 42}),
    ("unknown dataset", {"dataset": "no-such-data"}, ["Unknown dataset 'no-such-data'"],
     {"dataset": "toy-gaussians"}),
    ("upload by link", {"dataset": "upload"}, ["stays in the session that uploaded it"],
     {"dataset": "toy-gaussians"}),
    # raw: the Markdown source of the notice, which must escape the link's text so it renders as itself
    ("markdown in a value", {"dataset": "**x**[y](http://e.invalid)"},
     ["Unknown dataset '**x**[y](http://e.invalid)'", "raw:'\\*\\*x\\*\\*\\[y\\](http"],
     {"dataset": "toy-gaussians"}),
    ("html in a value", {"dataset": "<img src=x onerror=alert(1)>"},
     ["raw:\\<img src=x onerror=alert(1)\\>"], {}),
    ("long value", {"dataset": "x" * 5000}, ["…"], {}),
    ("unknown Z", {"dataset": "german", "z": "zodiac"}, ["has no sensitive attribute 'zodiac'"],
     {"sensitive": "sex"}),
    ("lesson garbage", {"lesson": "maybe"}, ["Lesson mode 'maybe'"], {"lesson": False}),
    ("lesson on", {"lesson": "yes"}, [], {"lesson": True}),
    ("unknown page", {"page": "admin"}, ["There is no page 'admin'"], {}),
    ("three bad values at once", {"t": "9", "seed": "-1", "lesson": "2"},
     ["outside [0, 1]", "Seed '-1'", "Lesson mode '2'"], {"t": 1.0, "seed": 0}),
    # page knobs are parsed (and refused) wherever the link opens; Home is the cheapest page to render
    ("page knob out of range", {"epochs": "0"}, ["Epochs '0' in the link must be"], {"train_epochs": 5}),
    ("page knob list item", {"grid": "1,x"},
     ["λ grid '1,x' in the link has an item"], {}),
    ("page knob negative", {"aboot": "-3"}, ["Bootstrap resamples '-3'"], {"audit_boot": 30}),
    ("page knob fraction", {"frac": "2"}, ["Fraction of the class '2'"], {"forget_fraction": 0.75}),
    ("pick outside the grid", {"pick": "7"},
     ["Selected λ 7 in the link is not in the λ grid"],
     {"train_pick": None}),
]


@pytest.mark.parametrize(("params", "notices", "checks"),
                         [pytest.param(p, n, c, id=i) for i, p, n, c in LINKS])
def test_crafted_link(params, notices, checks):
    at = open_app(**params)
    assert not at.exception, [e.value for e in at.exception]
    raw = " | ".join(w.value for w in at.warning)
    shown = re.sub(r"\\(.)", r"\1", raw)  # what the Markdown renders: escapes removed
    for fragment in notices:
        where, fragment = (raw, fragment[4:]) if fragment.startswith("raw:") else (shown, fragment)
        assert fragment in where, f"no notice with {fragment!r}; notices: {raw}"
    if not notices:
        assert not any("link" in w.value for w in at.warning), shown
    state = at.session_state["app"]
    for field, value in checks.items():
        got = getattr(state, field)
        assert got == (pytest.approx(value) if isinstance(value, float) else value), (field, got)
    # the seed shown is the seed used: the sidebar's number and the state the engine reads agree
    assert at.number_input(key="_w_seed").value == state.seed
    if "seed" in params and not any("Seed" in n for n in notices):
        assert state.seed == int(params["seed"])


def test_the_table_has_at_least_30_links():
    assert len(LINKS) >= 30


def test_a_large_seed_from_a_link_is_the_seed_of_the_fit():
    """seed = 2**31 computed with that seed while the sidebar showed 0; now both show and use it."""
    at = open_app(page="barycenter", seed="2147483648")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.number_input(key="_w_seed").value == 2147483648
    assert at.query_params["seed"] == "2147483648"
