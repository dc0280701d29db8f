"""The version of dualrel, in a module of its own: what prints it (reports, the command
line) imports this, not the package root, which would load the engine and NetworkX."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
