"""One thin entry point per DVC stage: ``python -m stages.NAME`` from the repository root."""
