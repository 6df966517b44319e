"""``python -m llmledger`` runs the command-line interface."""

from llmledger.cli import main

main()
