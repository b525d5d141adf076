"""One module per subcommand: parse options, call the core, render the result."""
