"""The `change_control` section of `hub.yaml`: where schema-change tickets go and when the patch digest is sent.

Validated when the configuration loads, so a malformed cron fails the code location naming the key instead of
the first weekly digest.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from customer_hub.config import checked_cron


class ChangeControlSettings(BaseModel):
    """Schema changes (drift) as tickets, and the weekly integration-patch digest."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="false keeps schema changes in the hub's list only: no Asana ticket")
    asana_project_gid: str | None = Field(
        None,
        description="Asana project the tickets are created in (one task per change); empty means no tickets, the "
        "digest still lists the changes",
    )
    digest_cron: str = Field(
        "0 8 * * 1", description="when the weekly integration-patch digest is posted (automation.schedules.timezone)"
    )

    @field_validator("asana_project_gid", mode="before")
    @classmethod
    def _gid(cls, value: object) -> object:
        """Asana gids are digits; YAML reads an unquoted one as a number, which is kept as its digits."""
        if value is None or value == "":
            return None
        text = str(value).strip()
        if not text.isdigit():
            raise ValueError(f"{value!r} is not an Asana gid (digits, from the project's URL)")
        return text

    @field_validator("digest_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        return checked_cron(value)

    @property
    def tickets_on(self) -> bool:
        """Whether schema changes become Asana tickets."""
        return self.enabled and self.asana_project_gid is not None


def change_control_settings(section: dict | None) -> ChangeControlSettings:
    """The validated section; `{}` gives no tickets and the Monday-morning digest."""
    return ChangeControlSettings.model_validate(section or {})
