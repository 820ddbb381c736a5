"""Version of the synapse-fileutils distribution, kept in one place."""

__version__ = "0.1.0"
