"""Google Sheets v4 `spreadsheets.values.get`: one range of cells, no paging, Google's error bodies; and Google's
OAuth 2.0 token endpoint, whose short-lived tokens are the only ones the API accepts (see `google_oauth`)."""

import re

from customer_hub.sandbox.google_oauth import GrantError
from customer_hub.sandbox.ids import SANDBOX_IDS
from customer_hub.sandbox.rate_limits import RateDecision
from customer_hub.sandbox.routing import Call, Reply, Route, VendorApi

GRID_ROWS, GRID_COLUMNS = 1000, 26
CELL = re.compile(r"^(?P<col>[A-Za-z]*)(?P<row>\d*)$")


def _error(code: int, message: str, status: str) -> Reply:
    return Reply({"error": {"code": code, "message": message, "status": status}}, code)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def parse_range(text: str, sheet_name: str, grid_rows: int) -> tuple[int, int, int, int] | None:
    """(first row, last row, first column, last column), 1-based and inclusive, or None if unparsable.

    Accepts "Sheet", "Sheet!A1:G", "'Sheet'!A:G", "Sheet!B2" and bare cells ("A1:C9") on the only sheet.
    """
    sheet, separator, cells = text.strip().rpartition("!")
    if not separator:
        if text.strip().strip("'").replace("''", "'") == sheet_name:
            return 1, grid_rows, 1, GRID_COLUMNS
        sheet, cells = sheet_name, text.strip()
    parts = cells.split(":")
    if sheet.strip("'").replace("''", "'") != sheet_name or len(parts) > 2 or not all(parts):
        return None
    start, end = CELL.match(parts[0]), CELL.match(parts[-1])
    if not start or not end:
        return None
    first_col = _column_number(start["col"]) if start["col"] else 1
    first_row = int(start["row"]) if start["row"] else 1
    if len(parts) == 1:
        return (
            first_row,
            first_row if start["row"] else grid_rows,
            first_col,
            first_col if start["col"] else GRID_COLUMNS,
        )
    last_col = _column_number(end["col"]) if end["col"] else GRID_COLUMNS
    last_row = int(end["row"]) if end["row"] else grid_rows
    return first_row, last_row, first_col, last_col


class SheetsApi(VendorApi):
    """sheets.googleapis.com under /sheets."""

    tool = "sheets"

    def routes(self) -> list[Route]:
        return [
            Route(SANDBOX_IDS["google_token_path"], self.token, ("POST",), authenticated=False),
            Route("/sheets/v4/spreadsheets/<spreadsheet_id>/values/<path:cell_range>", self.get_values),
        ]

    def authenticate(self, call: Call) -> Reply | None:
        """Only access tokens the token endpoint granted, and only until they expire."""
        access = call.bearer_token()
        if access is None:
            return self.unauthorized(call, revoked=False)
        if not call.state.google_tokens.access_is_valid(access) or call.state.faults.tools[self.tool].revoked_token:
            return self.unauthorized(call, revoked=True)
        return None

    def token(self, call: Call) -> Reply:
        """`POST https://oauth2.googleapis.com/token` with the JWT bearer grant (form-encoded)."""
        form = call.request.form
        try:
            granted = call.state.google_tokens.grant(
                form.get("grant_type"), form.get("assertion"), SANDBOX_IDS["google_token_path"]
            )
        except GrantError as error:
            return Reply({"error": error.error, "error_description": error.description}, 400)
        return Reply(granted, headers={"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"})

    def unauthorized(self, call: Call, revoked: bool) -> Reply:
        if revoked:
            return _error(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
                "cookie or other valid authentication credential. See https://developers.google.com/"
                "identity/sign-in/web/devconsole-project.",
                "UNAUTHENTICATED",
            )
        return _error(
            401,
            "Request is missing required authentication credential. Expected OAuth 2 access token, "
            "login cookie or other valid authentication credential. See https://developers.google.com/"
            "identity/sign-in/web/devconsole-project.",
            "UNAUTHENTICATED",
        )

    def rate_limited(self, decision: RateDecision | None) -> Reply:
        return _error(
            429,
            "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per "
            "user' of service 'sheets.googleapis.com' for consumer 'project_number:100000000001'.",
            "RESOURCE_EXHAUSTED",
        )

    def server_error(self, status: int) -> Reply:
        if status == 500:
            return _error(500, "Internal error encountered.", "INTERNAL")
        return _error(status, "The service is currently unavailable.", "UNAVAILABLE")

    def not_found(self, call: Call) -> Reply:
        return _error(404, "Requested entity was not found.", "NOT_FOUND")

    def _grid(self, call: Call) -> list[list[str]]:
        header = list(call.state.extras["sheets_header"])
        rows = [list(record["values"]) for record in call.state.stream("sheets", "implementations")]
        drift = call.state.faults.tools[self.tool].schema_drift
        if drift:
            renames = drift.get("rename", {})
            header = [renames.get(cell, cell) for cell in header]
            for name, value in drift.get("add", {}).items():
                rows = [row + [""] * (len(header) - len(row)) + [str(value)] for row in rows]
                header.append(name)
        return [header] + rows

    def get_values(self, call: Call, spreadsheet_id: str, cell_range: str) -> Reply:
        if spreadsheet_id != SANDBOX_IDS["sheets_spreadsheet_id"]:
            return self.not_found(call)
        sheet = SANDBOX_IDS["sheets_sheet_name"]
        grid = self._grid(call)
        grid_rows = max(GRID_ROWS, len(grid))
        bounds = parse_range(cell_range, sheet, grid_rows)
        if bounds is None:
            return _error(400, f"Unable to parse range: {cell_range}", "INVALID_ARGUMENT")
        first_row, last_row, first_col, last_col = bounds
        values = []
        for row in grid[first_row - 1 : last_row]:
            cells = row[first_col - 1 : last_col]
            while cells and cells[-1] == "":
                cells.pop()
            values.append(cells)
        while values and not values[-1]:
            values.pop()
        dimension = call.request.args.get("majorDimension", "ROWS")
        if dimension == "COLUMNS":
            width = max((len(row) for row in values), default=0)
            values = [[row[i] if i < len(row) else "" for row in values] for i in range(width)]
        body = {
            "range": f"{sheet}!{_column_letters(first_col)}{first_row}:{_column_letters(last_col)}{last_row}",
            "majorDimension": dimension,
        }
        if values:
            body["values"] = values
        return Reply(body, page=True)
