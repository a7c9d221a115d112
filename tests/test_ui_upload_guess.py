"""Upload defaults (ui/upload_guess.py): target and Z guessed from names and values, never the same column."""

from __future__ import annotations

import random

import pytest
from app_helpers import open_app

from ui.upload_guess import guess_roles


def _csv(header, rows) -> bytes:
    return ("\n".join([",".join(header)] + [",".join(map(str, r)) for r in rows]) + "\n").encode()


R = random.Random(0)
N = 200
CASES = {
    # Adult-like: the outcome last, sex and race among many columns; age continuous
    "adult-like": (_csv(["age", "workclass", "education_num", "race", "sex", "hours", "income"],
                        [[R.randint(17, 90), R.choice("abc"), R.randint(1, 16), R.choice(["w", "b", "o"]),
                          R.choice(["m", "f"]), R.randint(10, 60), R.choice([">50K", "<=50K"])]
                         for _ in range(N)]), "income", "sex"),
    # target first, Z named gender
    "label-first": (_csv(["label", "x1", "x2", "gender"],
                         [[R.randint(0, 1), R.random(), R.random(), R.choice(["a", "b"])] for _ in range(N)]),
                    "label", "gender"),
    # a column called y and an age group with few values: age is Z (no sex/race column)
    "y-and-age": (_csv(["f1", "f2", "age", "y"],
                       [[R.random(), R.random(), R.choice(["<25", "25-45", ">45"]), R.randint(0, 1)]
                        for _ in range(N)]), "y", "age"),
    # no telling names: the last low-cardinality column is the target, a binary column is Z
    "no-names": (_csv(["a", "b", "c", "d"],
                      [[R.random(), R.choice(["u", "v"]), R.random(), R.choice(["p", "q", "r"])]
                       for _ in range(N)]), "d", "b"),
    # non-ASCII names
    "french": (_csv(["âge", "revenu €", "sexe ♀♂", "étiquette"],
                    [[R.randint(20, 70), R.random(), R.choice(["f", "h"]), R.choice(["oui", "non"])]
                     for _ in range(N)]), "étiquette", "sexe ♀♂"),
    # a continuous last column and no outcome name: no target; ethnicity is Z
    "regression-like": (_csv(["ethnicity", "x", "value"],
                             [[R.choice(["a", "b", "c"]), R.random(), R.random()] for _ in range(N)]),
                        None, "ethnicity"),
    # the only sex-like column is constant: it cannot define groups, so a binary column wins
    "constant-sex": (_csv(["sex", "grp", "x", "outcome"],
                          [["f", R.choice(["a", "b"]), R.random(), R.randint(0, 1)] for _ in range(N)]),
                     "outcome", "grp"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_guesses_on_several_csvs(name):
    data, target, sensitive = CASES[name]
    header = data.decode().splitlines()[0].split(",")
    got = guess_roles(data, header)
    assert got == (target, sensitive)
    assert got[0] != got[1]


def test_never_the_same_column_even_with_one_or_two_columns():
    assert guess_roles(b"sex\nm\nf\n", ["sex"]) == (None, "sex")
    t, z = guess_roles(b"sex,label\nm,1\nf,0\n", ["sex", "label"])
    assert (t, z) == ("label", "sex")
    t, z = guess_roles(b"label,income\n1,0\n0,1\n", ["label", "income"])
    assert t != z and {t, z} == {"label", "income"}


def test_an_unreadable_sample_falls_back_to_the_names():
    t, z = guess_roles(b"\x00\x01garbage", ["outcome", "race", "x"])
    assert (t, z) == ("outcome", "race")


def test_the_upload_form_opens_on_the_guesses():
    data, target, sensitive = CASES["adult-like"]
    at = open_app()
    at.selectbox(key="_w_dataset").set_value("upload").run()
    at.file_uploader(key="upload_file").set_value(("people.csv", data, "text/csv")).run()
    assert at.selectbox(key="upload_target").value == target
    assert at.selectbox(key="upload_sensitive").value == sensitive
    next(b for b in at.button if b.label == "Use this file").click()
    at.run()
    assert not at.exception
    assert at.session_state["app"].upload.target == "income" and at.session_state["app"].sensitive == "sex"
