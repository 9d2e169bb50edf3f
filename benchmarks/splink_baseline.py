"""A Splink 5 (DuckDB) deduplication model over the canonical columns a set holds: the benchmark's baseline.

Written the way a competent Splink user would set up a person dedupe, and not tuned per set:

* light cleaning a user would do first: strip and lowercase text, last nine digits for phones, first / last name taken
  from `full_name` ('First Last' or 'Last, First') where the split columns are empty; columns that are empty or
  hold a single value (e.g. FEBRL's country) are dropped;
* comparisons for the columns present: NameComparison on first and last name (Jaro-Winkler 0.92 / 0.88 / 0.7,
  term-frequency adjusted), Jaro-Winkler levels on street, city (tf) and company name (tf), exact / one-edit
  postcode (PostcodeComparison's levels are UK-specific), EmailComparison, exact phone (last nine digits, so
  national and international forms agree), exact company domain, DateOfBirthComparison on `birth_date` when present;
* prediction blocking: the union of first+last, last+postcode, first+postcode, street+postcode, last+city,
  email, phone, birth_date (+first or last name), company_name+last_name — each only when its columns exist;
* probability that two random records match from deterministic rules (recall 0.7), u by random sampling
  (2 million pairs, fixed seed), m by EM over two or three blocking rules chosen so that every comparison is
  trained by at least one of them;
* predict, then connected components at match probability 0.95 — one threshold for every set.

One workaround: Splink 5 raises as soon as a level's m probability is set below 1e-300, and EM does produce such
values when a level never occurs among the likely matches of a training block (on the synthetic set, matches never
disagree on city or postcode, so their "all other" levels get m = 0 and training stops with an error). While the
model is trained such an m (0, or too small for float64) is stored as 1e-6 instead: the value Splink itself gives
a level it never observed.

    python benchmarks/splink_baseline.py records.parquet   # prints cluster sizes (for trying it by hand)
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pandas as pd

THRESHOLD = 0.95
U_MAX_PAIRS = 2e6
SEED = 7
TEXT_COLUMNS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company_name",
    "company_domain",
    "street",
    "city",
    "postcode",
    "birth_date",
)


def _clean_text(series: pd.Series) -> pd.Series:
    values = series.astype(object).where(series.notna(), None)
    cleaned = [re.sub(r"\s+", " ", str(value)).strip().lower() if value is not None else None for value in values]
    return pd.Series([value or None for value in cleaned], index=series.index, dtype=object)


def _split_full_name(full: str | None) -> tuple[str | None, str | None]:
    if not full:
        return None, None
    if "," in full:
        last, _, first = full.partition(",")
        return first.strip() or None, last.strip() or None
    words = full.split()
    if len(words) == 1:
        return words[0], None
    return words[0], words[-1]


def prepare(records: pd.DataFrame) -> pd.DataFrame:
    """The columns Splink compares, cleaned; `record_id` kept as the unique id."""
    frame = pd.DataFrame({"record_id": records["record_id"].astype(str).to_numpy(dtype=object)}, index=records.index)
    for column in TEXT_COLUMNS:
        if column in records.columns:
            frame[column] = _clean_text(records[column])
    if "full_name" in records.columns:
        split = [_split_full_name(value) for value in _clean_text(records["full_name"])]
        for position, column in enumerate(("first_name", "last_name")):
            derived = pd.Series([pair[position] for pair in split], index=records.index, dtype=object)
            frame[column] = frame[column].where(frame[column].notna(), derived) if column in frame else derived
    if "phone" in frame:
        digits = [re.sub(r"\D", "", value)[-9:] if value else None for value in frame["phone"]]
        frame["phone"] = pd.Series([value or None for value in digits], index=frame.index, dtype=object)
    if "company_domain" in frame:
        domain = frame["company_domain"].str.replace(r"^[a-z]+://", "", regex=True)
        frame["company_domain"] = domain.str.replace(r"^www\.", "", regex=True).str.split("/").str[0]
    useful = [column for column in frame.columns[1:] if frame[column].nunique(dropna=True) > 1]
    return frame[["record_id", *useful]].reset_index(drop=True)


def _comparisons(columns: set[str]) -> list:
    import splink.comparison_library as cl

    available: dict[str, Callable[[], object]] = {
        "first_name": lambda: cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
        "last_name": lambda: cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
        "street": lambda: cl.JaroWinklerAtThresholds("street", [0.95, 0.88]),
        "city": lambda: cl.JaroWinklerAtThresholds("city", [0.92]).configure(term_frequency_adjustments=True),
        "postcode": lambda: cl.LevenshteinAtThresholds("postcode", [1]),
        "email": lambda: cl.EmailComparison("email"),
        "phone": lambda: cl.ExactMatch("phone"),
        "company_name": lambda: cl.JaroWinklerAtThresholds("company_name", [0.95, 0.88, 0.7]).configure(
            term_frequency_adjustments=True
        ),
        "company_domain": lambda: cl.ExactMatch("company_domain"),
        "birth_date": lambda: cl.DateOfBirthComparison("birth_date", input_is_string=True, datetime_format="%Y-%m-%d"),
    }
    return [make() for column, make in available.items() if column in columns]


PREDICTION_BLOCKS = (
    ("first_name", "last_name"),
    ("last_name", "postcode"),
    ("first_name", "postcode"),
    ("street", "postcode"),
    ("last_name", "city"),
    ("email",),
    ("phone",),
    ("first_name", "birth_date"),
    ("last_name", "birth_date"),
    ("company_name", "last_name"),
)
DETERMINISTIC_RULES = (
    ("first_name", "last_name", "birth_date"),
    ("first_name", "last_name", "postcode"),
    ("first_name", "last_name", "street"),
    ("email",),
    ("phone", "last_name"),
)
# EM rules in order of preference; each trains every comparison whose column it does not block on.
EM_RULES = (
    ("first_name", "last_name"),
    ("postcode",),
    ("birth_date",),
    ("email",),
    ("street",),
    ("city",),
    ("last_name",),
    ("first_name",),
)


def _present(rules: tuple[tuple[str, ...], ...], columns: set[str]) -> list[tuple[str, ...]]:
    return [rule for rule in rules if set(rule) <= columns]


def _em_rules(columns: set[str], compared: set[str]) -> list[tuple[str, ...]]:
    """Up to three EM blocking rules that, between them, leave every compared column trainable by one."""
    chosen: list[tuple[str, ...]] = []
    untrained = set(compared)
    for rule in _present(EM_RULES, columns):
        trains = compared - set(rule)
        if not trains or (not trains & untrained and len(chosen) >= 2):
            continue
        chosen.append(rule)
        untrained -= trains
        if (not untrained and len(chosen) >= 2) or len(chosen) == 3:
            break
    return chosen


UNOBSERVED_M = 1e-6


@contextmanager
def _zero_m_floored() -> Iterator[None]:
    """While inside, an m probability of exactly 0 is stored as UNOBSERVED_M (see the module docstring)."""
    from splink.internals.comparison_level import ComparisonLevel

    original = ComparisonLevel.m_probability

    def setter(level, value):
        if isinstance(value, int | float) and value < 1e-300:  # Splink 5 refuses these (M_U_CLAMP_MIN)
            value = UNOBSERVED_M
        original.fset(level, value)

    ComparisonLevel.m_probability = original.setter(setter)
    try:
        yield
    finally:
        ComparisonLevel.m_probability = original


def splink_clusters(
    records: pd.DataFrame,
    threshold: float = THRESHOLD,
    progress: Callable[[str], None] = lambda _: None,
) -> pd.Series:
    """Splink's cluster id for each record of `records` (same index and order)."""
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    frame = prepare(records)
    columns = set(frame.columns) - {"record_id"}
    comparisons = _comparisons(columns)
    compared = {comparison.create_output_column_name() for comparison in comparisons}
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[block_on(*rule) for rule in _present(PREDICTION_BLOCKS, columns)],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(frame), settings, log_level=logging.WARNING)

    deterministic = _present(DETERMINISTIC_RULES, columns) or _present((("first_name", "last_name"),), columns)
    progress(f"splink: {len(frame)} records, comparing {sorted(compared)}")
    linker.training.estimate_probability_two_random_records_match(
        [block_on(*rule) for rule in deterministic], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=SEED)
    with _zero_m_floored():
        for rule in _em_rules(columns, compared):
            progress(f"splink: EM blocked on {' + '.join(rule)}")
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(*rule))
    progress("splink: predicting")
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    ).as_pandas_dataframe()
    cluster_of = dict(zip(clusters["record_id"].astype(str), clusters["cluster_id"].astype(str), strict=True))
    ids = records["record_id"].astype(str)
    return pd.Series([cluster_of.get(record_id, record_id) for record_id in ids], index=records.index, dtype=object)


if __name__ == "__main__":
    loaded = pd.read_parquet(sys.argv[1])
    found = splink_clusters(loaded, progress=lambda line: print(line, file=sys.stderr))
    print(found.value_counts().value_counts().sort_index().to_string())
