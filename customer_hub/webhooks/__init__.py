"""Signed vendor webhooks: the receiver (store before acknowledging), and the events → targeted work mapping.

HubSpot, Stripe and Intercom announce changes within seconds; polling schedules stay as the reconciliation net.
Pure Python except `app.py`/`server.py` (Starlette + uvicorn); the Dagster sensor lives in `customer_hub.defs`.
"""
