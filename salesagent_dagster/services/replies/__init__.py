"""What comes back from the mailbox (issue 13): listening (poll, read, match, record) and the
effects a recorded reply has, each once."""
