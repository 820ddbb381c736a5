"""Version of the synapse-client distribution, kept in one place."""

__version__ = "0.1.0"
