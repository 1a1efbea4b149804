"""`cnncalc sizes`: the input sizes every layer divides evenly."""
