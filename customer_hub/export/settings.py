"""The `export` section of `hub.yaml`: where the monthly vendor-neutral export goes and in which format."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ExportSettings(BaseModel):
    """`folder` may hold `{month}` (YYYY-MM); without it the month becomes a sub-folder, so months never mix."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    folder: str | None = Field(
        None, description="export folder; relative to hub.yaml's folder; default <data_dir>/exports/<YYYY-MM>"
    )
    format: Literal["parquet", "csv"] = Field("parquet", description="table files: parquet, or csv for spreadsheets")

    def folder_for(self, month: str, *, data_dir: Path, config_dir: Path) -> Path:
        """The folder of one month's export."""
        datetime.strptime(month, "%Y-%m")  # a malformed month would scatter files; fail before writing any
        if not self.folder:
            return data_dir / "exports" / month
        base = Path(self.folder.replace("{month}", month)).expanduser()
        base = base if base.is_absolute() else config_dir / base
        return base if "{month}" in self.folder else base / month


def export_settings(section: dict | None) -> ExportSettings:
    """The validated section; `{}` gives Parquet under the data folder."""
    return ExportSettings.model_validate(section or {})
