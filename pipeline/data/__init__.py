"""CIFAR-10's python-version batches: reading images and labels, one-hot labels."""
