"""The hypothesis strategies behind :mod:`dualrel.testing.strategies`, one module per domain.

``people_ties`` draws people, ties and plain registries; ``practice`` draws registries with
practice records, one strategy per section; ``planted`` plants an instance of a rule's
pattern among noise; ``files`` prints a drawn registry as the file ``dualrel check``
reads.  Private: import the strategies from :mod:`dualrel.testing.strategies`.
"""

try:
    import hypothesis  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("dualrel.testing needs hypothesis: pip install 'dualrel[test]'") from exc
