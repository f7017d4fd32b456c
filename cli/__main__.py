"""`python -m cli ...`: the command line (compare starts its child runs this way)."""

from cli.commands import main

main()
