"""What a run shows its user: test metrics, DVCLive logs and the PNG figures."""
