"""The monthly vendor-neutral export of the whole hub (`monthly`), its re-import into an empty hub store
(`reimport`), the column mapping both share (`columns`) and the `export` section of hub.yaml (`settings`).

Nothing is imported here, so `customer_hub.config` can import `customer_hub.export.settings` without loading
pyarrow or creating an import cycle.
"""
