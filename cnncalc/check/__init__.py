"""`cnncalc check`: files, settings, reporters (text, parsable, GitHub, JSON, SARIF), diagnostics."""
