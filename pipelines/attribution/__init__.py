"""Multi-touch attribution: the Markov model's exact solve (markov.py), its Dagster asset (assets.py) and the
channel table of `payback summary` (summary.py). The rule-based models are SQL
(transforms/intermediate/attribution_paths.sql)."""
