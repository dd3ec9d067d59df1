"""What a run shows its user: test metrics and the PNG figures."""
