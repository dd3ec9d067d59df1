"""Plumbing every stage shares: errors, atomic writes, paths, devices, params loading, the stage runner."""
