"""Resources shared by every part of the Dagster wiring: the hub configuration and the hub store."""

from __future__ import annotations

from dagster import ConfigurableResource
from sqlalchemy import Engine

from customer_hub.config import HubConfig, load_config
from customer_hub.store import database_url, engine_for


class HubResource(ConfigurableResource):
    """The validated `hub.yaml` and the hub store it points at.

    `config_path` empty means the default lookup (`$CUSTOMER_HUB_CONFIG`, the working directory, the project);
    `database_url` empty means `$CUSTOMER_HUB_DATABASE_URL`, else the embedded SQLite file.
    """

    config_path: str = ""
    database_url: str = ""

    def config(self) -> HubConfig:
        return load_config(self.config_path or None)

    def engine(self) -> Engine:
        return engine_for(self.database_url or database_url(self.config().data_dir))
