"""Models, feature scaling, the training loop and the model file: everything the train stage needs."""
