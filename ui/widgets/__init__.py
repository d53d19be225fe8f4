"""Question widgets made from the form definition through one registry (``registry.widget_for``)."""
