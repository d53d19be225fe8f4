"""One module per dialog, each with a ``show_…(parent, …)`` entry point."""
