"""Golden rows from owning systems, and duplicates inside one tool."""

import pandas as pd

from customer_hub.resolution import resolve, survive, within_tool_duplicates

from .records import acme_records


def _records() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "record_id": "hs",
                "source_system": "hubspot",
                "email": "jo@acme.com",
                "phone": "",
                "balance": None,
                "source_updated_at": "2024-01-01",
            },
            {
                "record_id": "st",
                "source_system": "stripe",
                "email": "billing@acme.com",
                "phone": "+1 415 555 0100",
                "balance": 99.0,
                "source_updated_at": "2024-03-01",
            },
            {
                "record_id": "qb",
                "source_system": "quickbooks",
                "email": "ap@acme.com",
                "phone": "+1 415 555 0199",
                "balance": 250.0,
                "source_updated_at": "2024-02-01",
            },
        ]
    )


def _one_customer() -> pd.DataFrame:
    return pd.DataFrame({"record_id": ["hs", "st", "qb"], "golden_customer_id": ["C-1"] * 3})


def test_owner_system_value_survives_and_its_source_is_recorded():
    golden = survive(_records(), _one_customer()).set_index("golden_customer_id")
    assert golden.loc["C-1", "email"] == "jo@acme.com"
    assert golden.loc["C-1", "email__source"] == "hs"
    assert golden.loc["C-1", "balance"] == 250.0
    assert golden.loc["C-1", "balance__source"] == "qb"


def test_empty_owner_value_falls_back_to_the_most_recent_non_empty_one():
    golden = survive(_records(), _one_customer()).set_index("golden_customer_id")
    assert golden.loc["C-1", "phone"] == "+1 415 555 0100"
    assert golden.loc["C-1", "phone__source"] == "st"


def test_ownership_can_list_systems_in_order():
    ownership = {"email": ["salesforce", "quickbooks", "stripe"]}
    golden = survive(_records(), _one_customer(), ownership).set_index("golden_customer_id")
    assert golden.loc["C-1", "email__source"] == "qb"


def test_one_golden_row_per_cluster_of_the_chosen_key():
    resolved = pd.DataFrame(
        {
            "record_id": ["hs", "st", "qb"],
            "golden_customer_id": ["C-1", "C-1", "C-2"],
            "golden_person_id": ["P-1", None, None],
        }
    )
    assert survive(_records(), resolved)["golden_customer_id"].tolist() == ["C-1", "C-2"]
    by_person = survive(_records(), resolved, key="golden_person_id")
    assert by_person["golden_person_id"].tolist() == ["P-1"]
    assert by_person["email"].tolist() == ["jo@acme.com"]


def test_within_tool_duplicates_lists_the_three_hubspot_acme_companies():
    records = acme_records()
    duplicates = within_tool_duplicates(records, resolve(records))
    companies = duplicates[(duplicates["source_system"] == "hubspot") & (duplicates["source_object"] == "company")]
    assert companies["record_count"].tolist() == [3]
    assert companies["record_ids"].iloc[0] == ["hs-co-1", "hs-co-2", "hs-co-3"]
    assert not (duplicates["source_system"] == "stripe").any()
