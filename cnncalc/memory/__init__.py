"""`cnncalc memory`: peak live memory of an inference, weights by precision, and the largest batch that fits."""
