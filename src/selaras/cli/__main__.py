"""``python -m selaras.cli``: the ``selaras`` command."""

from selaras.cli import main

main()
