"""Connecting to a Dask cluster, for the sharded runs and the cluster searches.

Dask is optional (``newsdex[dask]``): this module imports it only when a
client is asked for, and says how to install it when it is missing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from indexer.errors import NewsdexError

if TYPE_CHECKING:
    from distributed import Client

CONNECT_SECONDS = 5
"""How long to try to reach a scheduler before saying it cannot be reached."""


def connect(scheduler: str | None) -> Client:
    """A client of the Dask scheduler at ``scheduler``, or of a new local cluster
    of this machine's cores (closed with the client)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as error:
        raise NewsdexError(
            "sharded indexes need Dask, which is not installed",
            hint="pip install 'newsdex[dask]'",
        ) from error
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
        )
        client = Client(cluster)
        client._newsdex_cluster = cluster
        return client
    try:
        return Client(scheduler, timeout=f"{CONNECT_SECONDS}s")
    except (OSError, TimeoutError, ValueError) as error:
        raise NewsdexError(
            f"cannot reach the Dask scheduler at {scheduler}: {one_line(error)}",
            hint="check the address (tcp://HOST:8786) and that the scheduler runs",
        ) from error


def is_dask_failure(error: Exception) -> bool:
    module = type(error).__module__
    return module.startswith(("distributed", "dask")) or isinstance(error, OSError | TimeoutError)


def one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


@contextlib.contextmanager
def connected(scheduler: str | None) -> Iterator[Client]:
    """:func:`connect`, closed (with its local cluster) when the block ends."""
    client = connect(scheduler)
    try:
        yield client
    finally:
        close(client)


def close(client: Client) -> None:
    """Close a client of :func:`connect`, and the local cluster it started."""
    cluster = getattr(client, "_newsdex_cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()
