"""CIFAR-10 texture features and shallow networks: the library behind the DVC stages."""
