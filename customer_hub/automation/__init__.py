"""Cross-tool automation in plain Python: the closed-won onboarding flow (`onboarding`), its detection cursor
(`closed_won`), latency judgement (`latency`), the customer_360 refresh (`customer_refresh`) and the `automation`
section of hub.yaml (`settings`). Dagster wiring lives in `customer_hub.defs.automation`; `demo` drives the flow
end to end against the sandbox.

Nothing is imported here, so `customer_hub.config` can import `customer_hub.automation.settings` without a cycle.
"""
