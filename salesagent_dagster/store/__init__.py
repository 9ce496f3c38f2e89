"""The application database: the one place that owns SQL (DESIGN section 4)."""
