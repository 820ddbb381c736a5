"""Version of the synapse-plugins distribution, kept in one place."""

__version__ = "0.1.0"
