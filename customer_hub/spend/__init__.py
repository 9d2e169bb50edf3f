"""The shadow-IT scan: recurring vendor charges in the accounting books, matched to the tool inventory and to a
catalogue of SaaS vendors, to find what the company pays for that nobody put in the inventory."""
