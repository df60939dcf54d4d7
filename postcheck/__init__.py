"""postcheck: validate scraped posts."""

__version__ = "0.1.0"
