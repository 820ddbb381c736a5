"""``synapse job list|get|logs|stop``: Ray jobs on a Ray dashboard (``--ray-address`` or ``RAY_ADDRESS``).

Example:
    ```console
    $ synapse job list --ray-address http://127.0.0.1:8265
    $ synapse job logs raysubmit_abc --follow
    $ synapse job stop raysubmit_abc --wait
    ```
"""

from __future__ import annotations

import sys
from typing import Any

import click

from ._output import EXIT_FAILED, EXIT_INTERRUPTED, echo_json, fail, reporting_errors
from .settings import resolve

__all__ = ["job"]


def _client(ray_address: str | None) -> Any:
    from synapse_client.ray import RayClient

    address = resolve("ray_address", ray_address)
    if not address:
        fail("no Ray address: pass --ray-address or set RAY_ADDRESS (the dashboard, e.g. http://127.0.0.1:8265)")
    if "://" not in address:
        address = f"http://{address}"
    return RayClient(address)


_address = click.option("--ray-address", help="The Ray dashboard URL (default RAY_ADDRESS).")
_as_json = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group("job")
def job() -> None:
    """Inspect, follow and stop Ray jobs.

    \b
    Examples:
      synapse job list
      synapse job get raysubmit_abc --json
      synapse job logs raysubmit_abc --follow
      synapse job stop raysubmit_abc --wait
    """  # noqa: D301 - click reads the \b marker to keep the examples unwrapped


def _row(details: Any) -> dict[str, Any]:
    raw = details.raw if hasattr(details, "raw") else dict(details)
    return {
        "id": raw.get("submission_id") or raw.get("job_id"),
        "status": str(details.status),
        "start_time": raw.get("start_time"),
        "end_time": raw.get("end_time"),
        "entrypoint": raw.get("entrypoint"),
        "message": raw.get("message"),
    }


@job.command("list")
@_address
@_as_json
def list_(ray_address: str | None, as_json: bool) -> None:
    """List the cluster's jobs."""
    with reporting_errors(), _client(ray_address) as client:
        rows = [_row(item) for item in client.list_jobs()]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no jobs")
    for row in rows:
        entry = (row["entrypoint"] or "")[:60]
        click.echo(f"{row['id'] or '-':32} {row['status']:10} {entry}")


@job.command("get")
@click.argument("job_id")
@_address
@_as_json
def get(job_id: str, ray_address: str | None, as_json: bool) -> None:
    """Show one job's details."""
    with reporting_errors(), _client(ray_address) as client:
        row = _row(client.get_job(job_id))
    if as_json:
        echo_json(row)
        return
    for key, value in row.items():
        click.echo(f"{key:11} {value if value is not None else '-'}")


@job.command("logs")
@click.argument("job_id")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines until the job ends.")
@_address
def logs(job_id: str, follow: bool, ray_address: str | None) -> None:
    """Print a job's log (Ray keeps its last 16 MiB)."""
    with reporting_errors(), _client(ray_address) as client:
        if not follow:
            click.echo(client.list_job_logs(job_id), nl=False)
            return
        try:
            for line in client.tail_job_logs(job_id):
                click.echo(line)
        except KeyboardInterrupt:
            sys.exit(EXIT_INTERRUPTED)
        status = client.get_job(job_id).status
    click.echo(f"job {job_id} {str(status).lower()}", err=True)
    if str(status) != "SUCCEEDED" and str(status) not in ("RUNNING", "PENDING"):
        sys.exit(EXIT_FAILED)


@job.command("stop")
@click.argument("job_id")
@click.option("--wait", is_flag=True, help="Wait until the job has ended.")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds to wait with --wait.")
@_address
def stop(job_id: str, wait: bool, timeout: float, ray_address: str | None) -> None:
    """Stop a running job (an error if it has already ended)."""
    with reporting_errors(), _client(ray_address) as client:
        client.stop_job(job_id, wait=wait, timeout=timeout)
        status = client.get_job(job_id).status if wait else None
    click.echo(f"stopped {job_id}" + (f" ({str(status).lower()})" if status else ""))
