"""Check results as the quality layer produces them, for driving the alert lifecycle in tests."""

from __future__ import annotations

from customer_hub.quality.checks import check_duplicates
from customer_hub.quality.settings import QualitySettings

SETTINGS = QualitySettings()


def duplicates(count: int):
    """A duplicates result with `count` within-tool duplicate pairs (0 passes)."""
    groups = [
        {
            "tool": "hubspot",
            "object": "contacts",
            "golden_id": f"GP{index}",
            "records": [f"hubspot:contacts:{index}a", f"hubspot:contacts:{index}b"],
            "emails": [f"jane{index}@acme.com"],
            "summary": f"2x hubspot contacts Jane Roe jane{index}@acme.com",
        }
        for index in range(count)
    ]
    return check_duplicates(groups, [], SETTINGS, records=100)
