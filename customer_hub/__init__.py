"""customer_hub: one source of truth for a small company's customers, orchestrated by Dagster."""
