"""Allow ``python -m synapse_plugins`` as a spelling of the ``synapse`` command."""

from .cli import main

main()
