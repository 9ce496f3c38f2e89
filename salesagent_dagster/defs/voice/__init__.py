"""Voice profiles learned from each connected mailbox's sent mail, refreshed weekly."""
