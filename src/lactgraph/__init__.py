"""lactgraph: e-lactancia.org breastfeeding-compatibility entries as a linked-data graph."""

__version__ = "0.1.0"
