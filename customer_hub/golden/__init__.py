"""The golden-record layer: customer records from the landed data, golden customers with stable ids, the
cross-reference, the steward's review queue and the customer 360 view.

Kept free of imports here so that `customer-hub lookup` can load `customer_hub.golden.names` without pandas.
"""
