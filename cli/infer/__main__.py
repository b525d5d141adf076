"""Entry point for ``python -m infer``."""

from infer.app import main

main()
