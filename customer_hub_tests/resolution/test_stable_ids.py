"""Stable golden ids across runs: unchanged, merged, split, never reused."""

from datetime import UTC, datetime

import pandas as pd

from customer_hub.resolution import assign_stable_ids

FIRST_RUN = datetime(2024, 1, 1, tzinfo=UTC)
SECOND_RUN = datetime(2024, 2, 1, tzinfo=UTC)
THIRD_RUN = datetime(2024, 3, 1, tzinfo=UTC)


def clusters(**members: list[str]) -> pd.DataFrame:
    """Resolved records: cluster id -> its record ids."""
    rows = [(record, cluster) for cluster, records in members.items() for record in records]
    return pd.DataFrame(rows, columns=["record_id", "golden_customer_id"])


def events_of(result, kind: str) -> pd.DataFrame:
    return result.events[result.events["event"] == kind]


def test_first_run_creates_one_id_per_cluster():
    result = assign_stable_ids(clusters(A=["r1", "r2"], B=["r3"]), None, now=FIRST_RUN)
    ids = result.ids()
    assert ids["r1"] == ids["r2"] != ids["r3"]
    assert all(golden.startswith("GC-") for golden in ids)
    assert len(events_of(result, "created")) == 2


def test_rerun_on_unchanged_data_changes_no_id():
    resolved = clusters(A=["r1", "r2"], B=["r3"])
    first = assign_stable_ids(resolved, None, now=FIRST_RUN)
    second = assign_stable_ids(resolved, first.xref, now=SECOND_RUN)
    assert second.ids().to_dict() == first.ids().to_dict()
    assert set(second.events["event"]) == {"unchanged"}


def test_ids_do_not_depend_on_the_runs_own_cluster_names():
    first = assign_stable_ids(clusters(A=["r1", "r2"]), None, now=FIRST_RUN)
    second = assign_stable_ids(clusters(Z=["r2", "r1"]), first, now=SECOND_RUN)
    assert second.ids().to_dict() == first.ids().to_dict()


def test_new_records_join_an_existing_id():
    first = assign_stable_ids(clusters(A=["r1"]), None, now=FIRST_RUN)
    second = assign_stable_ids(clusters(A=["r1", "r9"]), first.xref, now=SECOND_RUN)
    assert second.ids()["r9"] == first.ids()["r1"]
    assert events_of(second, "updated")["golden_id"].tolist() == [first.ids()["r1"]]


def test_bridging_record_merges_two_customers_keeping_the_older_id():
    first = assign_stable_ids(clusters(A=["r1", "r2"]), None, now=FIRST_RUN)
    second = assign_stable_ids(clusters(A=["r1", "r2"], B=["r3"]), first.xref, now=SECOND_RUN)
    older, newer = first.ids()["r1"], second.ids()["r3"]
    third = assign_stable_ids(clusters(X=["r1", "r2", "r3", "bridge"]), second.xref, now=THIRD_RUN)
    assert set(third.ids()) == {older}
    merged = events_of(third, "merged")
    assert merged[["golden_id", "related_id"]].values.tolist() == [[older, newer]]
    tombstone = third.xref[third.xref["golden_id"] == newer]
    assert tombstone["status"].tolist() == ["retired"]
    assert tombstone["merged_into"].tolist() == [older]


def test_merge_of_ids_created_together_keeps_the_smaller_id():
    first = assign_stable_ids(clusters(A=["r1"], B=["r2"]), None, now=FIRST_RUN)
    second = assign_stable_ids(clusters(A=["r1", "r2"]), first.xref, now=SECOND_RUN)
    assert set(second.ids()) == {min(first.ids())}


def test_split_keeps_the_id_on_the_larger_part_and_traces_the_other():
    first = assign_stable_ids(clusters(A=["r1", "r2", "r3"]), None, now=FIRST_RUN)
    original = first.ids()["r1"]
    second = assign_stable_ids(clusters(A=["r1", "r2"], B=["r3"]), first.xref, now=SECOND_RUN)
    ids = second.ids()
    assert ids["r1"] == ids["r2"] == original
    assert ids["r3"] != original
    split = events_of(second, "split")
    assert split[["golden_id", "related_id"]].values.tolist() == [[ids["r3"], original]]
    created_at = second.xref.set_index("record_id")["created_at"]
    assert created_at["r1"] == pd.Timestamp(FIRST_RUN)
    assert created_at["r3"] == pd.Timestamp(SECOND_RUN)


def test_retired_ids_are_never_issued_again():
    first = assign_stable_ids(clusters(A=["r1"], B=["r2"]), None, now=FIRST_RUN)
    retired = max(first.ids())
    merged = assign_stable_ids(clusters(A=["r1", "r2"]), first.xref, now=SECOND_RUN)
    assert retired not in set(merged.ids())
    split_again = assign_stable_ids(clusters(A=["r1"], B=["r2"]), merged.xref, now=THIRD_RUN)
    assert retired not in set(split_again.ids())
    assert split_again.ids()["r1"] != split_again.ids()["r2"]


def test_removed_clusters_are_retired():
    first = assign_stable_ids(clusters(A=["r1"], B=["r2"]), None, now=FIRST_RUN)
    second = assign_stable_ids(clusters(A=["r1"]), first.xref, now=SECOND_RUN)
    assert events_of(second, "removed")["golden_id"].tolist() == [first.ids()["r2"]]


def test_person_ids_use_their_own_prefix_and_skip_records_without_a_person():
    resolved = pd.DataFrame({"record_id": ["r1", "r2", "r3"], "golden_person_id": ["P-r1", "P-r1", None]})
    result = assign_stable_ids(resolved, None, prefix="GP", column="golden_person_id", now=FIRST_RUN)
    assert set(result.ids().index) == {"r1", "r2"}
    assert all(golden.startswith("GP-") for golden in result.ids())


def test_new_ids_are_deterministic():
    resolved = clusters(A=["r1", "r2"], B=["r3"])
    assert (
        assign_stable_ids(resolved, None, now=FIRST_RUN).ids().to_dict()
        == assign_stable_ids(resolved, None, now=SECOND_RUN).ids().to_dict()
    )


def test_xref_read_back_from_storage_keeps_ids():
    first = assign_stable_ids(clusters(A=["r1", "r2"], B=["r3"]), None, now=FIRST_RUN)
    stored = first.xref.astype({"created_at": "str"})
    second = assign_stable_ids(clusters(A=["r1", "r2", "r3"]), stored, now=SECOND_RUN)
    assert set(second.ids()) == {min(first.ids())}


def test_no_record_naming_a_person_on_a_first_run_issues_no_ids():
    resolved = pd.DataFrame({"record_id": ["r1", "r2"], "golden_person_id": [None, None]})
    result = assign_stable_ids(resolved, None, prefix="GP", column="golden_person_id", now=FIRST_RUN)
    assert result.ids().empty
    assert result.events.empty
    later = pd.DataFrame({"record_id": ["r1", "r2"], "golden_person_id": ["P-r1", None]})
    second = assign_stable_ids(later, result, prefix="GP", column="golden_person_id", now=SECOND_RUN)
    assert second.ids().index.tolist() == ["r1"]


def test_an_empty_previous_xref_with_typed_times_is_a_first_run():
    empty = pd.DataFrame(columns=["record_id", "golden_id", "cluster_id", "created_at", "status", "merged_into"])
    empty["created_at"] = pd.to_datetime(empty["golden_id"], utc=True)
    result = assign_stable_ids(clusters(A=["r1", "r2"]), empty, now=FIRST_RUN)
    assert result.ids().to_dict() == assign_stable_ids(clusters(A=["r1", "r2"]), None, now=FIRST_RUN).ids().to_dict()
    assert result.events["event"].tolist() == ["created"]


def test_times_read_back_as_text_come_out_as_times():
    first = assign_stable_ids(clusters(A=["r1"], B=["r2"]), None, now=FIRST_RUN)
    merged = assign_stable_ids(clusters(A=["r1", "r2"]), first.xref.astype({"created_at": "str"}), now=SECOND_RUN)
    assert isinstance(merged.xref["created_at"].dtype, pd.DatetimeTZDtype)
    assert set(merged.xref["created_at"]) == {pd.Timestamp(FIRST_RUN)}  # the survivor and the tombstone
