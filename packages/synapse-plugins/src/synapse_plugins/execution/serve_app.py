"""The Ray Serve application that runs a plugin's actions behind HTTP (imported by Serve's replicas, not by callers).

Serve imports ``synapse_plugins.execution.serve_app:build`` in the plugin's runtime env (its working dir is the
plugin's content-addressed package). Each ``POST`` carries an invocation and its credentials as JSON, runs through
[`run_remote`][synapse_plugins.execution.entrypoint.run_remote] (the same runner as jobs and tasks) in a worker
thread, and answers ``{"frames": [...], "end": "<end frame>"}``: every event the run emitted, in order, then its
end. ``GET`` answers ``{"status": "ok"}`` (a health check that runs nothing).
"""

from __future__ import annotations

from typing import Any

__all__ = ["build", "handle_request"]


def handle_request(body: dict[str, Any]) -> dict[str, Any]:
    """Run one request's invocation and return its frames and end frame.

    Args:
        body: ``{"invocation": <Invocation.to_json()>, "credentials": <Credentials.to_dict()>}``.

    Returns:
        ``{"frames": [frame, ...], "end": end_frame}``.

    Raises:
        ValueError: For a body that is not an invocation.
    """
    from .entrypoint import run_remote
    from .invocation import Invocation
    from .runfiles import Credentials

    invocation = Invocation.from_json(str(body["invocation"]))
    credentials = Credentials.from_dict(dict(body.get("credentials") or {}))
    frames: list[str] = []
    ends: list[str] = []
    run_remote(invocation, credentials, frames.append, write_end=ends.append)
    return {"frames": frames, "end": ends[0]}


def build(args: dict[str, Any]) -> Any:
    """Build the Serve application (Serve's application builder).

    Args:
        args: ``{"max_ongoing_requests": n}`` (optional).

    Returns:
        The bound deployment.
    """
    import asyncio

    from ray import serve
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    @serve.deployment(ray_actor_options={"num_cpus": 0}, max_ongoing_requests=int(args.get("max_ongoing_requests", 8)))
    class PluginActions:
        async def __call__(self, request: Request) -> JSONResponse:
            if request.method == "GET":
                return JSONResponse({"status": "ok"})
            try:
                body = await request.json()
                payload = await asyncio.to_thread(handle_request, body)
            except (ValueError, KeyError, TypeError) as exc:
                return JSONResponse({"error": f"bad request: {type(exc).__name__}"}, status_code=400)
            return JSONResponse(payload)

    return PluginActions.bind()  # type: ignore[attr-defined]
