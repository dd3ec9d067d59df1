"""Fetch the CIFAR-10 archive, verify it and unpack it: the download stage's library."""
