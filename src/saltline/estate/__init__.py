"""The estate a configuration describes: its roots and locked formulas, laid out."""
