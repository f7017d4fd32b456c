"""The machinery pipeline.py wires together: models, stages, records, progress, summary."""
