"""Demo data at the seed's figures. Each step is idempotent; `manage.py demo_data` runs them in order."""
