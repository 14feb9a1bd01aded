"""One module per group of subcommands; each command is a plain function registered in cli.py."""
