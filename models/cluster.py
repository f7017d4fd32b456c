"""The dask model: a Dask cluster behind concurrent.futures.Executor, past one machine.

Dask's distributed scheduler offers a futures executor (Client.get_executor()), so a cluster
is one more registry entry. Without a scheduler's address the executor starts a LocalCluster
of worker processes on 127.0.0.1 (one thread each; a dashboard only where bokeh is
installed) and closes it with itself; with one, it uses that cluster's workers, started
elsewhere with `dask scheduler` and `dask worker tcp://HOST:8786`. Workers on other machines
cannot read our disk, so this model's stages send the bytes and land the results here
(StageWork.send and .receive). A worker lost mid-run costs nothing: the scheduler runs its
tasks again elsewhere (and a LocalCluster's nanny starts a new worker). A scheduler that does not
answer within CONNECT_TIMEOUT_S is ClusterUnreachable, one line saying where and why.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from errors import describe

INSTALL = "pip install -e '.[cluster]'"
# A scheduler answers a connection in milliseconds: one that has not in 5 s is not there.
CONNECT_TIMEOUT_S = 5


class ClusterUnreachable(Exception):
    """The Dask scheduler asked for could not be reached (its address and why)."""


class DaskExecutor(Executor):
    """Runs each call on a Dask cluster's workers: a new local one, or the one at address."""

    def __init__(self, workers: int, address: str | None = None) -> None:
        from distributed import Client, LocalCluster  # the cluster extra: imported when used

        # Dask logs every worker's start and stop at INFO: our summary says what matters.
        logging.getLogger("distributed").setLevel(logging.WARNING)
        self._cluster = None
        if address is None:
            self._cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                # Its HTTP server listens anyway: on loopback, on any free port.
                dashboard_address="127.0.0.1:0",
                silence_logs=logging.ERROR,
            )
        try:
            self._client = Client(self._cluster or address, timeout=CONNECT_TIMEOUT_S)
        except (OSError, ValueError) as exc:
            if self._cluster is not None:
                self._cluster.close()
            raise ClusterUnreachable(_unreachable(address, exc)) from None
        # pure=False: the same call twice is two tasks (each image counts), not one cached.
        self._executor = self._client.get_executor(pure=False)

    @property
    def dashboard(self) -> str | None:
        """The address of the cluster's dashboard, or None when it has none: a local
        cluster's needs bokeh (without it, its HTTP server only says so)."""
        if self._cluster is not None and importlib.util.find_spec("bokeh") is None:
            return None
        return self._client.dashboard_link or None

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Submit fn(*args, **kwargs) to the cluster; the future is a concurrent.futures one."""
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop submitting, then close the client and the local cluster, if we started one."""
        try:
            self._executor.shutdown(wait=wait)
        finally:
            self._client.close()
            if self._cluster is not None:
                self._cluster.close()


def _unreachable(address: str | None, exc: BaseException) -> str:
    """One line: which scheduler, and the cause Dask wraps (a refused connection, an
    unknown host, a malformed address, or no answer at all)."""
    where = address or "the local cluster"
    reason = _reason(exc.__cause__ or exc)
    return f"cannot reach the Dask scheduler at {where} within {CONNECT_TIMEOUT_S} s: {reason}"


def _reason(cause: BaseException) -> str:
    """What went wrong, in a few words."""
    text = str(cause)
    if ">: " in text:  # Dask's wrapper names an object by its address: keep what it wraps
        return text.rpartition(">: ")[2]
    return describe(cause) if text else "no answer"
