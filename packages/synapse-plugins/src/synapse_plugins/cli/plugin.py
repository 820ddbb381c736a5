"""``synapse plugin create|run|publish``.

Example:
    ```console
    $ synapse plugin create ./hello --code hello --name Hello --category pre_annotation --yes
    $ cd hello && pytest
    $ synapse plugin run pre_annotation --params '{"message": "hi"}'
    $ synapse plugin run pre_annotation --method job -p count=int:10
    ```
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from ..categories import PluginCategory
from ._output import EXIT_FAILED, EXIT_INTERRUPTED, echo_json, fail, reporting_errors
from .params import parse_params
from .settings import resolve

if TYPE_CHECKING:
    from ..execution import Method

__all__ = ["plugin"]

_CATEGORIES = [category.value for category in PluginCategory]


@click.group("plugin")
def plugin() -> None:
    """Create, run and publish plugins.

    \b
    Examples:
      synapse plugin create ./my-export --code my-export --name "My export" --category export --yes
      synapse plugin run export --path ./my-export --params @params.json
      synapse plugin run export --method job --params @params.json
      synapse plugin publish --path ./my-export --dry-run
    """  # noqa: D301 - click reads the \b marker to keep the examples unwrapped


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


@plugin.command("create")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path), required=False)
@click.option("--code", help="The plugin's code: lowercase letters, digits, '-' and '_'.")
@click.option("--name", help="Its display name.")
@click.option("--category", type=click.Choice(_CATEGORIES), help="What it does.")
@click.option("--action", "actions", multiple=True, help="An extra action (repeatable) beyond the category's own.")
@click.option("--description", default="", help="A one-line description.")
@click.option("--yes", "-y", is_flag=True, help="Never prompt: fail if a value is missing.")
def create(  # noqa: PLR0917 - click passes every option as a parameter
    path: Path | None, code: str | None, name: str | None, category: str | None, actions: tuple[str, ...],
    description: str, yes: bool,
) -> None:  # fmt: skip
    """Create a plugin folder with config.yaml, code, a README and tests that pass (`pytest`).

    Prompts for missing values only when a terminal is attached and --yes is not given.

    \b
    Examples:
      synapse plugin create --code yolo-export --name "YOLO export" --category export --yes
      synapse plugin create ./trainer --code trainer --name Trainer --category neural_net --action evaluate
    """  # noqa: D301 - click reads the \b marker to keep the examples unwrapped
    from ..scaffold import create_plugin

    prompt = not yes and _interactive()
    if code is None and prompt:
        code = click.prompt("code (lowercase, e.g. my-plugin)")
    if name is None and prompt:
        name = click.prompt("name", default=(code or "").replace("-", " ").title())
    if category is None and prompt:
        category = click.prompt("category", type=click.Choice(_CATEGORIES))
    missing = [flag for flag, value in (("--code", code), ("--name", name), ("--category", category)) if not value]
    if missing:
        fail(f"missing {', '.join(missing)} (pass them, or run in a terminal without --yes to be asked)")
    assert code
    assert name
    assert category
    folder = path or Path(f"synapse-{code}-plugin")
    with reporting_errors():
        try:
            written = create_plugin(folder, code=code, name=name, category=category, actions=actions,
                                    description=description)  # fmt: skip
        except ValueError as exc:
            fail(str(exc))
    click.echo(f"created {folder} ({len(written)} files)")
    click.echo(f"next: cd {folder} && pytest")


def _follow_console(handle: Any, detach: bool) -> Any:
    """Print a Ray run's log lines and progress until it ends; Ctrl-C stops it unless --detach."""
    from ..execution.follow import wait_following

    try:
        return wait_following(handle, None, None)  # log lines, a progress bar, the final status
    except KeyboardInterrupt:
        if detach:
            click.echo(f"detached from {handle.id}; it keeps running", err=True)
            sys.exit(0)
        click.echo(f"stopping {handle.id} ...", err=True)
        handle.stop()
        sys.exit(EXIT_INTERRUPTED)


@plugin.command("run")
@click.argument("action")
@click.option("--path", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
              help="The plugin folder.")  # fmt: skip
@click.option("--params", "params_text", help="The params: a JSON object, @file, or @- for standard input.")
@click.option("-p", "--param", "param_items", multiple=True, metavar="NAME=[TYPE:]VALUE",
              help="One param (repeatable); TYPE is str, int, float, bool or json.")  # fmt: skip
@click.option("--method", type=click.Choice(["local", "task", "job", "restapi"]), default="local", show_default=True,
              help="Where to run: this process, a Ray task, a Ray job, or Ray Serve.")  # fmt: skip
@click.option("--ray-address", help="Ray dashboard URL or GCS address (default RAY_ADDRESS, else a local head).")
@click.option("--host", help="Backend URL for the platform job's logs (default SYNAPSE_HOST).")
@click.option("--token", help="Backend access token (default SYNAPSE_ACCESS_TOKEN; never printed).")
@click.option("--tenant", help="Tenant (default SYNAPSE_TENANT).")
@click.option("--job-id", help="The platform job this run reports to.")
@click.option("--detach", is_flag=True, help="Submit (task/job) and return at once, printing the id.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON only.")
def run(  # noqa: PLR0917 - click passes every option as a parameter
    action: str, path: Path, params_text: str | None, param_items: tuple[str, ...], method: str,
    ray_address: str | None, host: str | None, token: str | None, tenant: str | None, job_id: str | None,
    detach: bool, as_json: bool,
) -> None:  # fmt: skip
    """Validate the params, run ACTION of the plugin, and follow it to the end.

    Exit status: 0 succeeded, 1 the action failed, 2 bad usage, config or params (nothing ran), 130 interrupted.

    \b
    Examples:
      synapse plugin run export --params '{"name": "out", "path": "./exports", "target": "local",
                                           "filter": {"path": "./dataset"}}'
      synapse plugin run train -p epochs=int:5 -p lr=float:0.01
      synapse plugin run export --method job --params @params.json --detach
    """  # noqa: D301 - click reads the \b marker to keep the examples unwrapped
    from ..errors import ExecutionError, RunStoppedError
    from ..execution import make_logger, run_plugin

    params = parse_params(params_text, param_items)
    host = resolve("host", host)
    token = resolve("access_token", token)
    tenant = resolve("tenant", tenant)
    ray_address = resolve("ray_address", ray_address)
    with reporting_errors():
        # Every method loads the config, resolves the action and validates the params before anything runs or is
        # submitted; those errors leave with exit 2 through reporting_errors.
        try:
            if method == "local":
                logger = make_logger(job_id=job_id, host=host, token=token, tenant=tenant, console=not as_json)
                result = run_plugin(path, action, params, job_id=job_id, logger=logger)
            else:
                handle = run_plugin(path, action, params, method=cast("Method", method), job_id=job_id, host=host,
                                    token=token, tenant=tenant, ray_address=ray_address, wait=False)  # fmt: skip
                if detach:
                    click.echo(handle.id)
                    return
                result = _follow_console(handle, detach) if not as_json else handle.wait()
        except ExecutionError as exc:
            if as_json:
                echo_json({"status": "FAILED", "error": exc.message})
            else:
                click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_INTERRUPTED if isinstance(exc, RunStoppedError) else EXIT_FAILED)
    if as_json:
        echo_json(result)
    elif result is not None:
        click.echo("result:")
        echo_json(result)


@plugin.command("publish")
@click.option("--path", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
              help="The plugin folder.")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="List what would be sent; send and write nothing.")
@click.option("--host", help="Backend URL (default SYNAPSE_HOST).")
@click.option("--token", help="Backend access token (default SYNAPSE_ACCESS_TOKEN; never printed).")
@click.option("--tenant", help="Tenant (default SYNAPSE_TENANT).")
@click.option("--json", "as_json", is_flag=True, help="Print the release as JSON.")
def publish(  # noqa: PLR0917 - click passes every option as a parameter
    path: Path, dry_run: bool, host: str | None, token: str | None, tenant: str | None, as_json: bool
) -> None:
    """Pack the plugin's files and publish them as a release (code, version, checksum, validated config).

    Files matched by .gitignore, .rayignore or .synapseignore, and .env, .git, virtualenvs and caches, are left out.

    \b
    Examples:
      synapse plugin publish --dry-run
      synapse plugin publish --path ./my-plugin --host https://synapse.example.com
    """  # noqa: D301 - click reads the \b marker to keep the examples unwrapped
    from ..publish import prepare_release, publish_release

    with reporting_errors():
        release = prepare_release(path)
        summary = {**release.fields(), "files": list(release.files), "size": release.size}
        if dry_run:
            if as_json:
                echo_json({"dry_run": True, **summary})
                return
            click.echo(f"would publish {release.code} {release.version} (checksum {release.checksum[:16]}...)")
            for name in release.files:
                click.echo(f"  {name}")
            click.echo(f"{len(release.files)} files, {release.size:,} bytes; nothing was sent")
            return
        host = resolve("host", host)
        token = resolve("access_token", token)
        if not host or not token:
            fail("publishing needs --host and --token (or SYNAPSE_HOST and SYNAPSE_ACCESS_TOKEN, or synapse config)")
        from synapse_client.backend import BackendClient

        with BackendClient(host, access_token=token, tenant=resolve("tenant", tenant)) as client:
            record = publish_release(release, client)
    if as_json:
        echo_json({"release": getattr(record, "id", None), **summary})
        return
    click.echo(f"published {release.code} {release.version} as release {getattr(record, 'id', '?')} "
               f"({len(release.files)} files, checksum {release.checksum[:16]}...)")  # fmt: skip
