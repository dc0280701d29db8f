"""The partitioned check on Dask (dask.distributed) (private).

The registry is read and validated, and the semi-join pass run, by the check's own code
(:func:`~dualrel.run_check`); each compiled ruleset's evaluation is then cut into
partitions by anchor (:func:`dualrel.rules.partitions.partition`), each partition is
sent to a worker as the argument of its task, with the compiled ruleset, evaluated
there by the engine (:func:`~dualrel.rules.partitions.evaluate_partition`), and the
matches are gathered and made into findings where the registry is.  Waivers, the
baseline and the report stay on the client.

A worker lost mid-run has its partitions run again by Dask; when Dask gives up (or the
scheduler goes), the check raises :class:`~dualrel.errors.ClusterError`: a result is
never made from some of the partitions.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

from dualrel._internal.reading import OnRead
from dualrel._internal.timing import Stopwatch
from dualrel.check import DEFAULT_RULESET, Evaluator, ProgressFn, Reader, run_check
from dualrel.errors import ClusterError, InvalidArgument, Problem, RegistryError
from dualrel.findings import CheckResult, Report
from dualrel.graph.model import Registry
from dualrel.rules.partitions import evaluate_partition, partition
from dualrel.rules.plan import CompiledRuleset
from dualrel.scale._network import count, size

__all__ = ["check_on_dask", "connect", "dask_evaluator", "dask_reader"]

#: Seconds to wait for a scheduler before saying it cannot be reached.
CONNECT_TIMEOUT = 20

#: A local cluster fails a task that has waited this long with no worker to run it (every
#: worker lost and none restarted, as on a machine too loaded for a nanny to bring one
#: back), so the check ends with ``ClusterError`` rather than waiting for ever.
NO_WORKERS_TIMEOUT = "60s"

#: What a local cluster's worker fetches from another in one message at most (Dask's
#: ``distributed.worker.transfer.message-bytes-limit``, 50 MB by default): a message is
#: held whole in the receiver's memory until its tables are written to disk, and in the
#: pass's rounds of a large registry every message was full, so the limit, not the
#: block, set a worker's peak (docs/scale.md); a table larger comes alone.
FETCH_MESSAGE_BYTES = "8MiB"

#: Partitions per worker thread at least: enough to balance the workers.
PARTITIONS_PER_THREAD = 2
#: ... and at most about this many of the registry's ties (after the semi-join pass) per
#: partition: a worker holds what it is given (at 1M people, 4 partitions of 30,000
#: ties peaked at 155-194 MB per worker, 40 of 3,000 at 133-136 MB; docs/scale.md),
#: and each is still a session or more of work.
TIES_PER_PARTITION = 4_000
#: Partitions in flight per worker thread at most (submitted, not yet taken back): a
#: worker holds the matches of every partition it has done until the client takes them,
#: and the client, unpickling them one by one, is slower than the workers (at 10M people
#: each worker held 178 partitions' matches, 4.4 million objects)
IN_FLIGHT_PER_THREAD = 4

INSTALL_HINT = "the partitioned check needs Dask: pip install 'dualrel[dask]'"


def _distributed() -> Any:
    try:
        import distributed  # noqa: PLC0415 (an optional extra)
    except ImportError as e:
        raise ClusterError(INSTALL_HINT) from e
    return distributed


def _local_workers(address: str) -> int | None:
    """N of ``local:N`` (2 for ``local``), None for a scheduler's address."""
    if address == "local":
        return 2
    head, sep, tail = address.partition(":")
    if head != "local" or not sep:
        return None
    if not tail.isdigit() or int(tail) < 1:
        raise InvalidArgument(f"--dask {address}: local:N needs a positive number of workers")
    return int(tail)


@contextlib.contextmanager
def connect(address: str) -> Iterator[Any]:
    """A ``distributed.Client`` of the scheduler at ``address`` (``tcp://host:8786``), or
    of a cluster of worker processes on this machine for ``local`` or ``local:N`` (N
    workers of one thread each), closed on exit.  Raises ``ClusterError``
    when Dask is not installed or the scheduler cannot be reached."""
    distributed = _distributed()
    workers = _local_workers(address)
    with contextlib.ExitStack() as stack:
        try:
            if workers is not None:
                import dask  # noqa: PLC0415 (an optional extra, there when distributed is)

                # the scheduler reads its settings when it is made, in this process, and
                # the nannies hand them to the worker processes they start
                stack.enter_context(
                    dask.config.set(
                        {
                            "distributed.scheduler.no-workers-timeout": NO_WORKERS_TIMEOUT,
                            "distributed.worker.transfer.message-bytes-limit": (
                                FETCH_MESSAGE_BYTES
                            ),
                        }
                    )
                )
                cluster = stack.enter_context(
                    distributed.LocalCluster(
                        n_workers=workers,
                        threads_per_worker=1,
                        processes=True,
                        # no dashboard; the scheduler's own HTTP server on any free port
                        # of this machine only (with None it takes 8787, and warns when
                        # that is taken)
                        dashboard_address="127.0.0.1:0",
                    )
                )
                client = stack.enter_context(distributed.Client(cluster))
            else:
                client = stack.enter_context(distributed.Client(address, timeout=CONNECT_TIMEOUT))
        except (OSError, TimeoutError, ValueError) as e:
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: {e}") from e
        yield client


@dataclass(frozen=True, slots=True)
class _OnDask:
    client: Any
    partitions: int | None
    network: MutableMapping[str, int] | None

    def __call__(
        self,
        registry: Registry,
        compiled: CompiledRuleset,
        *,
        as_of: date | None,
        jobs: int,
        timings: MutableMapping[str, float],
    ) -> Report:
        watch = Stopwatch(timings)
        parts = self.partitions or self._default_parts(len(registry.ties))
        cut = partition(registry, compiled, as_of, parts)
        watch.lap("index")
        results, busy = self._run(compiled, cut.as_of, cut.parts)
        watch.lap("evaluate")
        # what the workers spent evaluating, of the stage (the rest: sending and waiting)
        key = "evaluate.workers"
        timings[key] = timings.get(key, 0.0) + busy
        report = cut.report(results)
        watch.lap("findings")
        return report

    def _default_parts(self, ties: int) -> int:
        try:
            threads = int(sum(self.client.nthreads().values()))
        except Exception as e:
            raise _lost(e) from e
        return max(1, PARTITIONS_PER_THREAD * threads, -(-ties // TIES_PER_PARTITION))

    def _run(
        self, compiled: CompiledRuleset, when: date, parts: Sequence[Any]
    ) -> tuple[list[Any], float]:
        client = self.client
        distributed = _distributed()
        try:
            # each task carries its partition and the ruleset (17 KB): data scattered to
            # a worker is lost with it, a task's own arguments are not, so the scheduler
            # can run the task again elsewhere
            threads = int(sum(client.nthreads().values())) or 1
            with distributed.get_task_stream(client) as stream:
                results: list[Any] = [None] * len(parts)
                at: dict[Any, int] = {}
                todo = iter(range(len(parts)))

                def submitted(i: int) -> Any:
                    future = client.submit(evaluate_partition, compiled, when, parts[i], pure=False)
                    at[future.key] = i
                    return future

                # each partition's matches taken as soon as they are ready and released on
                # the worker, and the next partition submitted then: a worker holds the
                # matches of a few partitions, not of every partition it has done
                first = islice(todo, IN_FLIGHT_PER_THREAD * threads)
                window = [submitted(i) for i in first]
                running = distributed.as_completed(window)
                del window
                for future in running:
                    results[at.pop(future.key)] = future.result()
                    future.release()
                    following = next(todo, None)
                    if following is not None:
                        running.add(submitted(following))
        except Exception as e:
            if isinstance(e, InvalidArgument | MemoryError):
                raise
            raise _lost(e) from e
        if self.network is not None:
            count(self.network, "shuffle.partitions", sum(map(size, parts)))
            count(self.network, "ruleset", size(compiled) * len(parts))
            count(self.network, "gather.matches", sum(map(size, results)))
        busy = sum(
            span["stop"] - span["start"]
            for task in stream.data
            for span in task.get("startstops", ())
            if span.get("action") == "compute"
        )
        return results, float(busy)


def _lost(e: BaseException) -> ClusterError:
    return ClusterError(
        f"the Dask cluster did not finish the evaluation ({type(e).__name__}: {e}); "
        "no report was made from part of the registry"
    )


def dask_evaluator(
    client: Any, *, partitions: int | None = None, network: MutableMapping[str, int] | None = None
) -> Evaluator:
    """What evaluates each compiled ruleset on ``client``'s cluster, for
    :class:`~dualrel.check.CheckOptions` (``evaluator``).  ``partitions``: how many
    (default: two per worker thread, or one per 4,000 ties the rules can use if that is
    more); ``network``, when given, is filled with the bytes (pickled) each stage sends
    across the network: ``shuffle.partitions`` (the ties and
    people of every partition), ``ruleset`` (the compiled ruleset, with every task),
    ``gather.matches`` (the matches back)."""
    if partitions is not None and (
        not isinstance(partitions, int) or isinstance(partitions, bool) or partitions < 1
    ):
        raise InvalidArgument(f"partitions={partitions!r} must be a positive integer")
    return _OnDask(client, partitions, network)


@dataclass(frozen=True, slots=True)
class _ReadOnDask:
    client: Any
    network: MutableMapping[str, int] | None

    def __call__(
        self,
        path: str,
        compiled: Sequence[CompiledRuleset],
        *,
        kinds: Mapping[str, bool],
        roles: Collection[str],
        as_of: date | None,
    ) -> Any:
        from dualrel.scale._on_blocks import read_on_blocks  # noqa: PLC0415 (pyarrow)

        try:
            return read_on_blocks(
                self.client,
                path,
                compiled,
                kinds=kinds,
                roles=roles,
                as_of=as_of,
                network=self.network,
            )
        except Exception as e:
            if isinstance(e, InvalidArgument | MemoryError | RegistryError):
                raise
            raise _lost(e) from e


def dask_reader(client: Any, *, network: MutableMapping[str, int] | None = None) -> Reader:
    """What reads and validates a CSV folder on ``client``'s workers, for
    :class:`~dualrel.check.CheckOptions` (``reader``): its problems found there, or, when
    it has none, the ties the rules can use (``docs/scale.md``); other registries are read
    by the client as one machine reads them.  ``network`` as in :func:`check_on_dask`."""
    return _ReadOnDask(client, network)


def check_on_dask(
    client: Any,
    registry: str | os.PathLike[str],
    rulesets: Sequence[str | Path] = (DEFAULT_RULESET,),
    *,
    as_of: date | None = None,
    waivers: str | os.PathLike[str] | None = None,
    baseline: str | os.PathLike[str] | None = None,
    fail_level: int = 1,
    reveal: bool = False,
    progress: ProgressFn | None = None,
    timings: MutableMapping[str, float] | None = None,
    warnings: list[Problem] | None = None,
    extends_from: Sequence[str | os.PathLike[str]] = (),
    on_read: OnRead | None = None,
    timelines: bool = True,
    partitions: int | None = None,
    network: MutableMapping[str, int] | None = None,
) -> CheckResult:
    """:func:`~dualrel.run_check` on ``client``'s Dask cluster: the same arguments (but
    ``jobs``: the cluster's workers are the jobs) and the same result.  A CSV folder at a
    path or URL the workers can read is read and validated on the workers, part by part
    (an invalid one raises one machine's ``RegistryError``, its problems found there),
    and the semi-join pass run there, so that only the ties the rules can use reach the
    client (``docs/scale.md``); other registries, and checks with a baseline or ``reveal``, are
    read on the client as one machine reads them.  Each compiled ruleset's evaluation is
    partitioned and run on the workers.  ``partitions`` as in :func:`dask_evaluator`;
    ``network``, when given, is filled as there and, when the blocks are read on the
    workers, with the bytes (pickled) of their stages: ``shuffle.people`` and
    ``shuffle.ends`` (the parts' people rows and tie ends dealt into buckets),
    ``join.people`` (the people rows each ties part's ends name), ``shuffle.tie_ids``,
    ``prune.sets`` (each round's sets of people bound, from every block), ``prune.masks``
    (each round's masks, once to each worker), ``gather.survivors`` (the surviving ties,
    to the client), ``gather.people`` (the people they join, read again from the people
    parts), and ``read.blocks``: the number of blocks (a count).

    Raises what ``run_check`` raises, ``InvalidArgument`` naming the rules a partition
    cannot evaluate (practice-record rules and ``per``/``count``/``share`` rules), and
    ``ClusterError`` when the cluster does not finish."""
    extra: dict[str, Any] = {} if progress is None else {"progress": progress}
    return run_check(
        registry,
        rulesets,
        as_of=as_of,
        waivers=waivers,
        baseline=baseline,
        fail_level=fail_level,
        reveal=reveal,
        timings=timings,
        warnings=warnings,
        extends_from=extends_from,
        on_read=on_read,
        timelines=timelines,
        evaluator=dask_evaluator(client, partitions=partitions, network=network),
        reader=dask_reader(client, network=network),
        **extra,
    )
