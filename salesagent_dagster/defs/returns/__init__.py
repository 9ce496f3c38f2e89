"""What comes back from the mailbox: the listening sensor and the `handle_reply` job."""
