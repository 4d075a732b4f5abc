"""Curation: datasets, annotation arbitration and privacy (PII) review, run by data curators."""
