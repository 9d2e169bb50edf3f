"""Google Sheets: the customer-success implementation tracker, one row per customer implementation.

Auth is a service account's key, exchanged for short-lived tokens as needed (`sheets_auth`).

A sheet has no record ids, no timestamps and no change feed; the Values API serves the whole range in one response
without paging. So every read is a full read of the range (`complete=True`), and "incremental" means: read it all,
and land nothing when the sheet's content hash equals the cursor (the hash of the last read). When it changed, the
whole sheet is handed over and the sync engine's per-record content hash tells which rows really changed.

Row ids: the row number is not stable (inserting or sorting rows renumbers everything), so a row is keyed by the
first of these columns that has a value: the customer's domain, the contact email, the customer name (each
normalised: trimmed, lower case). Only a row with none of them falls back to its row number. Two rows with the
same key (a customer with two implementations) get `#2`, `#3`... in sheet order.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine

from customer_hub.config import SyncConfig, SystemConfig
from customer_hub.spokes.base import ConnectorBase, Page, StreamRead
from customer_hub.spokes.canonical import canonical
from customer_hub.spokes.http import ApiClient, ToolResponseError
from customer_hub.spokes.sheets_auth import ServiceAccountAuth

ROW_FIELD = "_row"
"""Payload key holding the row's number in the sheet (header = row 1), so a steward can find it."""

_COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "company_name": ("customer", "customer_name", "company", "company_name", "account", "account_name"),
    "email": ("contact_email", "email", "customer_email", "email_address"),
    "company_domain": ("domain", "company_domain", "website", "customer_domain"),
    "implementation_status": ("stage", "status", "implementation_status", "implementation_stage"),
    "go_live_date": ("go_live_date", "go_live", "golive_date", "launch_date", "target_go_live"),
    "csm": ("csm", "customer_success_manager", "owner", "cs_owner"),
}
_KEY_FIELDS = ("company_domain", "email", "company_name")


class SheetsConnector(ConnectorBase):
    """Reads one range of one spreadsheet; the first row is the header."""

    tool = "sheets"
    objects = ("implementations",)

    def __init__(
        self,
        config: SystemConfig,
        sync: SyncConfig,
        credentials: Mapping[str, str],
        engine: Engine | None = None,
    ):
        settings = config.settings
        self.spreadsheet_id = str(settings.get("spreadsheet_id") or "")
        self.range = str(settings.get("range") or "")
        self._setting_hint = f"systems.sheets.settings.spreadsheet_id / range ({self.spreadsheet_id} / {self.range})"
        key_env = config.credentials.get("service_account_key", "GOOGLE_SHEETS_SERVICE_ACCOUNT_JSON")
        self.auth = ServiceAccountAuth(credentials.get("service_account_key", ""), key_env)
        self.client = ApiClient(
            self.tool,
            config.resolved_base_url(),
            auth=self.auth.header,
            credential_envs=[key_env],
            settings=sync,
            on_auth_failure=self.auth.refresh_after_rejection,
        )

    # --- reads -------------------------------------------------------------------------------------------------

    def read_full(self, obj: str) -> StreamRead:
        """The whole range as one page; the cursor is the content hash of what was read."""
        self._check(obj)
        read = StreamRead(pages=iter(()), complete=True)

        def pages() -> Iterator[Page]:
            values = self._values()
            read.cursor_after = _content_hash(values)
            yield Page(rows_to_records(values))

        read.pages = pages()
        return read

    def read_incremental(self, obj: str, cursor: str) -> StreamRead:
        """A full read, unless the sheet is byte-for-byte what the cursor's hash describes: then nothing to land.

        The read is made here, not lazily, because whether it is complete depends on the answer: an unchanged
        sheet yields no page and must not be taken as "every row vanished".
        """
        self._check(obj)
        values = self._values()
        digest = _content_hash(values)
        if digest == cursor:
            return StreamRead(pages=iter(()), cursor_after=cursor, complete=False)
        return StreamRead(pages=iter([Page(rows_to_records(values))]), cursor_after=digest, complete=True)

    def count(self, obj: str) -> int | None:
        """Data rows in the range (the header and blank rows not counted); costs one read of the range."""
        self._check(obj)
        return len(rows_to_records(self._values()))

    # --- mapping -----------------------------------------------------------------------------------------------

    def source_id(self, obj: str, payload: dict[str, Any]) -> str:
        return str(payload["_id"])

    def source_updated_at(self, obj: str, payload: dict[str, Any]) -> datetime | None:
        return None  # a sheet keeps no per-row modification time

    def to_canonical(self, obj: str, payload: dict[str, Any]) -> dict[str, Any]:
        self._check(obj)
        return row_to_canonical(payload)

    # --- internals ---------------------------------------------------------------------------------------------

    def _values(self) -> list[list[Any]]:
        path = f"/v4/spreadsheets/{quote(self.spreadsheet_id, safe='')}/values/{quote(self.range, safe='')}"
        body = self.client.get_json(path, params={"majorDimension": "ROWS"}, setting_hint=self._setting_hint)
        if not isinstance(body, dict):
            raise ToolResponseError(self.tool, f"GET {path}", "answer is not a ValueRange object")
        values = body.get("values", [])  # an empty range has no "values" key at all
        if not isinstance(values, list) or not all(isinstance(row, list) for row in values):
            raise ToolResponseError(self.tool, f"GET {path}", "'values' is not a list of rows")
        return values


def snake_case(header: str) -> str:
    """'Go-live date' -> 'go_live_date', 'Contact e-mail' -> 'contact_e_mail', 'CSM' -> 'csm'."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(header).strip())
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()


def column_names(header: list[Any]) -> list[str]:
    """Header cells as unique snake_case names; blank cells become column_<n>, repeats get _2, _3..."""
    names: list[str] = []
    for position, cell in enumerate(header, start=1):
        base = snake_case(cell) if str(cell).strip() else f"column_{position}"
        name, suffix = base, 2
        while name in names:
            name, suffix = f"{base}_{suffix}", suffix + 1
        names.append(name)
    return names


def rows_to_records(values: list[list[Any]]) -> list[dict[str, Any]]:
    """Rows as dicts keyed by the header's column names, with a stable `_id` and the row number.

    The API drops trailing empty cells, so short rows are padded with empty strings; cells beyond the header get
    column_<n> names. Blank rows are skipped.
    """
    if not values:
        return []
    names = column_names(values[0])
    records: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(values[1:], start=2):
        if not any(str(cell).strip() for cell in row):
            continue
        cells = list(row) + [""] * (len(names) - len(row))
        record = {name: cells[i] for i, name in enumerate(names)}
        record.update({f"column_{i + 1}": cells[i] for i in range(len(names), len(cells))})
        record[ROW_FIELD] = number
        key = _row_key(record)
        seen[key] = seen.get(key, 0) + 1
        record["_id"] = key if seen[key] == 1 else f"{key}#{seen[key]}"
        records.append(record)
    return records


def row_to_canonical(record: dict[str, Any]) -> dict[str, Any]:
    """Implementation rows describe an account: customer, domain, stage, go-live date and the CSM."""
    fields = {field: _cell(record, field) for field in _COLUMN_ALIASES}
    return canonical(
        company_name=fields["company_name"],
        email=fields["email"],
        company_domain=fields["company_domain"],
        is_account_only=True,
        implementation_status=fields["implementation_status"],
        go_live_date=fields["go_live_date"],
        csm=fields["csm"],
        sheet_row=record.get(ROW_FIELD),
    )


def _cell(record: dict[str, Any], field: str) -> str | None:
    """The first non-empty column among the field's known header spellings."""
    for name in _COLUMN_ALIASES[field]:
        value = record.get(name)
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def _row_key(record: dict[str, Any]) -> str:
    for field in _KEY_FIELDS:
        value = _cell(record, field)
        if value:
            normalised = re.sub(r"\s+", " ", value.lower())
            if field == "company_domain":
                normalised = re.sub(r"^(https?://)?(www\.)?", "", normalised).rstrip("/")
            return f"{field.removeprefix('company_')}:{normalised}"
    return f"row:{record[ROW_FIELD]}"


def _content_hash(values: list[list[Any]]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()
