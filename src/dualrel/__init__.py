"""dualrel: find dual relationships and boundary violations in coaching practices."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
