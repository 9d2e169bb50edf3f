"""The hub store: SQLAlchemy tables and the few functions that read and write them."""

from customer_hub.store.db import database_url, engine_for, redact_url
from customer_hub.store.schema import metadata

__all__ = ["database_url", "engine_for", "metadata", "redact_url"]
