"""`cnncalc shape`: the table, JSON, CSV, Markdown and the notebook's HTML table."""
