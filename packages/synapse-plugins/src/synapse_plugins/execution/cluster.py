"""Where Ray is: an explicit address, ``RAY_ADDRESS``, or a Ray head on 127.0.0.1 started on demand.

Ray users give one of two addresses, and each method uses the form it needs:

- the **dashboard URL** (``http://host:8265``): jobs (the Jobs API), Serve (the Serve REST API) and following a
  job's log all speak HTTP to it, so ``method="job"`` and ``"restapi"`` need nothing else, not even Ray installed;
- the **GCS address** (``host:6379``, or ``ray://host:10001`` for Ray Client): ``method="task"`` connects with
  ``ray.init``. Given only a GCS address, the job and Serve methods ask the GCS for the dashboard URL, as
  ``ray job submit`` does; given only a dashboard URL, the task method cannot find the GCS and says so.

With neither (no argument, no ``RAY_ADDRESS``), a private head starts on 127.0.0.1 on first use (about 5 seconds;
[`LocalRayHead`][synapse_client.ray.local.LocalRayHead]), is shared by every later run in the process, and is stopped
when the process that started it exits.

Example:
    >>> resolve_address("http://10.0.0.5:8265")
    RayAddress(dashboard_url='http://10.0.0.5:8265', gcs_address=None)
    >>> resolve_address("10.0.0.5:6379")
    RayAddress(dashboard_url=None, gcs_address='10.0.0.5:6379')
    >>> resolve_address(None, environ={}) is None
    True
"""

from __future__ import annotations

import atexit
import ipaddress
import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..errors import PluginError

if TYPE_CHECKING:
    from synapse_client.ray.local import LocalRayHead

__all__ = ["ClusterError", "RayAddress", "connect_ray", "dashboard_url", "gcs_address", "local_head", "resolve_address"]


class ClusterError(PluginError):
    """No Ray cluster can be reached the way a method needs (a missing form of the address, Ray not installed).

    Example:
        >>> str(ClusterError("method='task' needs the GCS address"))
        "method='task' needs the GCS address"
    """


@dataclass(frozen=True)
class RayAddress:
    """The two ways to reach one cluster; either may be unknown.

    Attributes:
        dashboard_url: ``http(s)://host:port`` of the dashboard (Jobs, Serve and state APIs).
        gcs_address: ``host:port`` of the GCS, or a ``ray://`` Ray Client address (``ray.init``).
    """

    dashboard_url: str | None = None
    gcs_address: str | None = None


def resolve_address(
    ray_address: str | RayAddress | None, environ: Mapping[str, str] | None = None
) -> RayAddress | None:
    """Read an address as Ray users write it: explicit first, else ``RAY_ADDRESS``; None when neither is set.

    Args:
        ray_address: ``http://host:8265`` (dashboard), ``host:6379`` or ``ray://host:10001`` (GCS / Ray Client),
            a [`RayAddress`][synapse_plugins.execution.cluster.RayAddress], or None.
        environ: Where ``RAY_ADDRESS`` is read (default: ``os.environ``).

    Returns:
        The address, or None for "start a local head".

    Raises:
        ClusterError: For ``auto``/``local`` (say which cluster) or a value that is neither form.

    Example:
        >>> resolve_address(None, environ={"RAY_ADDRESS": "https://ray.example:8265/"}).dashboard_url
        'https://ray.example:8265'
    """
    if isinstance(ray_address, RayAddress):
        return ray_address
    value = (
        ray_address if ray_address is not None else (environ if environ is not None else os.environ).get("RAY_ADDRESS")
    )
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value in ("auto", "local"):
        raise ClusterError(f"ray_address {value!r} is not supported: give the dashboard URL or the GCS address")
    parts = urlsplit(value if "://" in value else f"gcs://{value}")
    if parts.scheme in ("http", "https") and parts.hostname:
        return RayAddress(dashboard_url=value.rstrip("/"))
    if parts.scheme == "ray" and parts.hostname:
        return RayAddress(gcs_address=value)
    if parts.scheme == "gcs" and parts.hostname and parts.port and not parts.path:
        return RayAddress(gcs_address=value)
    raise ClusterError(f"ray_address {value!r}: use http://host:8265 (dashboard) or host:6379 (GCS)")


_lock = threading.Lock()
_heads: list[LocalRayHead] = []  # at most one: this process's on-demand head


def local_head() -> LocalRayHead:
    """Return this process's on-demand Ray head on 127.0.0.1, starting it on first use.

    The head is stopped when the process exits (``atexit``); later calls reuse it.

    Returns:
        The running head.

    Raises:
        ClusterError: When Ray is not installed or the head does not start.

    Example:
        ```python
        head = local_head()
        print(head.dashboard_url)
        ```
    """
    from synapse_client.ray.local import LocalRayHead, RayNotInstalledError, RayStartError

    with _lock:
        if _heads and _heads[0].running:
            return _heads[0]
        head = LocalRayHead()
        try:
            head.start()
        except (RayNotInstalledError, RayStartError) as exc:
            raise ClusterError(f"no RAY_ADDRESS and no local Ray head: {exc}") from None
        atexit.register(head.stop)
        _heads[:] = [head]
        return head


def _resolved(ray_address: str | RayAddress | None) -> RayAddress:
    address = resolve_address(ray_address)
    if address is None:
        head = local_head()
        return RayAddress(dashboard_url=head.dashboard_url, gcs_address=head.address)
    return address


def dashboard_url(ray_address: str | RayAddress | None) -> str:
    """Return the dashboard URL of the cluster an address names (asking the GCS when only it is known).

    Args:
        ray_address: As [`resolve_address`][synapse_plugins.execution.cluster.resolve_address] takes it.

    Returns:
        ``http://host:port``.

    Raises:
        ClusterError: When only a GCS address is known and Ray is not installed here, or the GCS does not answer.

    Example:
        >>> dashboard_url("http://127.0.0.1:8265")
        'http://127.0.0.1:8265'
    """
    address = _resolved(ray_address)
    if address.dashboard_url is not None:
        return address.dashboard_url
    assert address.gcs_address is not None
    if address.gcs_address.startswith("ray://"):
        raise ClusterError("a ray:// address has no dashboard URL: give http://host:8265 for jobs and Serve")
    _prefer_loopback(address.gcs_address)
    try:
        from ray.dashboard.utils import ray_address_to_api_server_url
    except ImportError:
        raise ClusterError("finding the dashboard from a GCS address needs Ray: pip install 'ray[default]'") from None
    try:
        return str(ray_address_to_api_server_url(address.gcs_address))
    except (ValueError, ConnectionError, RuntimeError) as exc:
        raise ClusterError(f"no dashboard address from the GCS at {address.gcs_address}: {exc}") from None


def gcs_address(ray_address: str | RayAddress | None) -> str:
    """Return the address ``ray.init`` takes for the cluster an address names.

    Args:
        ray_address: As [`resolve_address`][synapse_plugins.execution.cluster.resolve_address] takes it.

    Returns:
        ``host:port`` or ``ray://host:port``.

    Raises:
        ClusterError: When only the dashboard URL is known (HTTP does not tell the GCS address).

    Example:
        >>> gcs_address("127.0.0.1:6379")
        '127.0.0.1:6379'
    """
    address = _resolved(ray_address)
    if address.gcs_address is None:
        raise ClusterError(
            f"method='task' connects with ray.init and needs the GCS address (host:6379), not only the dashboard "
            f"URL {address.dashboard_url}: pass ray_address=RayAddress(dashboard_url=..., gcs_address=...)"
        )
    return address.gcs_address


def _is_loopback(address: str) -> bool:
    host = urlsplit(address if "://" in address else f"gcs://{address}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _prefer_loopback(address: str) -> None:
    # Ray replaces a loopback address by the machine's own IP unless this is off; a head bound to 127.0.0.1 (ours,
    # or any `ray start --node-ip-address 127.0.0.1`) is then unreachable.
    if not _is_loopback(address):
        return
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    import sys

    constants = sys.modules.get("ray._private.ray_constants")
    if constants is not None:
        constants.ENABLE_RAY_CLUSTER = False  # type: ignore[attr-defined]


def connect_ray(ray_address: str | RayAddress | None) -> RayAddress:
    """Connect this process to the cluster with ``ray.init`` (once; an existing connection is reused).

    Args:
        ray_address: As [`resolve_address`][synapse_plugins.execution.cluster.resolve_address] takes it.

    Returns:
        The address connected to (with the dashboard URL when it is known).

    Raises:
        ClusterError: Ray is not installed, or only a dashboard URL is known.

    Example:
        ```python
        connect_ray("127.0.0.1:6379")
        ```
    """
    resolved = _resolved(ray_address)
    target = gcs_address(resolved)
    _prefer_loopback(target)
    try:
        import ray
    except ImportError:
        raise ClusterError("method='task' needs Ray on this machine: pip install 'synapse-plugins[ray]'") from None
    if not ray.is_initialized():
        ray.init(address=target, log_to_driver=False, logging_level=logging.WARNING, configure_logging=False)
    return replace(resolved, gcs_address=target)
