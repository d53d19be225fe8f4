"""Question widgets made from the form definition: the contract (``registry``) and the table of
which widget shows which question type (``table.widget_for``)."""
