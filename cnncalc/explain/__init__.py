"""`cnncalc explain`: every figure worked out as steps, and their text, Markdown and JSON."""
