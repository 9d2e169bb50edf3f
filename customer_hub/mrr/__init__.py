"""MRR over time: a daily snapshot per customer and currency, and the movements between two snapshots."""
