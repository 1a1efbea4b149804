"""`cnncalc diff`: two analyses compared layer by layer, rendered, thresholds."""
