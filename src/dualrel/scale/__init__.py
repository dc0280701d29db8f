"""Checks past one machine: the partitioned check on a Dask cluster.

``pip install 'dualrel[dask]'``, then :func:`check_on_dask` (or ``dualrel check REGISTRY
--dask SCHEDULER``): the same :class:`~dualrel.findings.CheckResult` as
:func:`~dualrel.run_check`, its evaluation partitioned by anchor and run on the cluster's
workers (``docs/scale.md``).  Dask is imported only when a cluster is used.
"""

from dualrel.scale._dask import check_on_dask, connect, dask_evaluator, dask_reader

__all__ = ["check_on_dask", "connect", "dask_evaluator", "dask_reader"]
