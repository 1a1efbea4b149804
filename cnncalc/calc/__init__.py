"""`cnncalc params` and `cnncalc size`: one layer's figures, worked out; padding solved for a size."""
