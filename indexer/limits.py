"""Limits of what an index run reads, apart from the reading itself: the
command line shows them in its help without loading the page readers."""

MAX_PAGE_BYTES = 50 * 1024 * 1024
"""Pages larger than this are skipped by default: no real news page comes near it."""
