"""newsdex's version, written into every index it creates."""

__version__ = "0.1.0"
