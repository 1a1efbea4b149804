"""`cnncalc diagram` and `cnncalc report`: layout, SVG, PNG, the HTML report, markup escaping."""
