"""CIFAR-10's python-version batches: reading their images and labels without trusting them."""
