"""The analytics warehouse: where it is, its one-writer lock, the export from the app DB,
and what erasure does to it."""
