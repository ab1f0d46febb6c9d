"""`python -m sohoa` runs the `sohoa` command."""

from sohoa.cli import main

main()
