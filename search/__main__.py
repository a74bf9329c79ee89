"""``python -m search`` runs the newsdex command line."""

from search.cli import main

main()
