"""The weekly auto-approve threshold learner: thin over `services.threshold_learning`."""
