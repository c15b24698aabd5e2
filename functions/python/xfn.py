"""Helpers for function-wasmtime modules written in Python.

A module is a component of the world in ``wit/function.wit``, built with componentize-py. Its
handler is a function from a request to a response, both plain dicts in the protojson form of
Crossplane's ``RunFunctionRequest`` and ``RunFunctionResponse`` (camelCase names, enums by name);
``handler`` turns it into the ``Handler`` class the component exports::

    import xfn

    def compose(req: dict) -> dict:
        rsp = xfn.response_to(req)
        who = xfn.get(xfn.observed_composite(req), "spec.who")
        if not isinstance(who, str):
            return xfn.fatal(rsp, "my-function: set spec.who to the name to greet")
        xfn.set_desired_resource(rsp, "greeting", {"apiVersion": "v1", "kind": "ConfigMap",
                                                    "data": {"greeting": f"Hello, {who}!"}})
        return rsp

    Handler = xfn.handler(compose)

The same module runs natively (``run_json``), so its tests need no WebAssembly.
"""

import json
import sys
import traceback
from typing import Any, Callable

try:  # Inside the component: the world's imports.
    from componentize_py_types import Err
    from wit_world.imports import log as _log
except ImportError:  # Natively, for tests: log to stderr.
    _log = None

    class Err(Exception):  # type: ignore[no-redef]
        """What ``run`` raises for the ``err`` case of its result."""

        def __init__(self, value: str):
            super().__init__(value)
            self.value = value


Handler = Callable[[dict], dict]

_LEVELS = ("ERROR", "WARN", "INFO", "DEBUG", "TRACE")


def _write_log(level: int, message: str) -> None:
    if _log is None:
        print(f"{_LEVELS[level]} {message}", file=sys.stderr)
    else:
        _log.log(_log.Level(level), message)


def log_error(message: str) -> None:
    """Writes a line to the host's log at error level."""
    _write_log(0, message)


def log_warn(message: str) -> None:
    """Writes a line to the host's log at warn level."""
    _write_log(1, message)


def log_info(message: str) -> None:
    """Writes a line to the host's log at info level."""
    _write_log(2, message)


def log_debug(message: str) -> None:
    """Writes a line to the host's log at debug level."""
    _write_log(3, message)


def get(obj: Any, path: str, default: Any = None) -> Any:
    """The value at a dotted ``path`` ("spec.forProvider.region") of nested dicts, or ``default``."""
    for key in path.split("."):
        if not isinstance(obj, dict) or key not in obj:
            return default
        obj = obj[key]
    return obj


def observed_composite(req: dict) -> dict:
    """The observed composite resource (XR), ``{}`` when the request has none."""
    return get(req, "observed.composite.resource", {})


def observed_resources(req: dict) -> dict:
    """The observed composed resources: ``{name: resource}``."""
    return {
        name: entry.get("resource", {})
        for name, entry in get(req, "observed.resources", {}).items()
    }


def condition_status(resource: dict, condition_type: str) -> str | None:
    """The status ("True", "False", "Unknown") of a resource's condition, or ``None``."""
    for condition in get(resource, "status.conditions", []):
        if condition.get("type") == condition_type:
            return condition.get("status")
    return None


def response_to(req: dict) -> dict:
    """A response that keeps the request's tag, desired state and context.

    Always start from this rather than from an empty response: Crossplane replaces its desired
    state and context with the response's, so what a step leaves out is deleted.
    """
    rsp: dict = {"meta": {"tag": get(req, "meta.tag", "")}}
    if "desired" in req:
        rsp["desired"] = req["desired"]
    if "context" in req:
        rsp["context"] = req["context"]
    return rsp


def desired_composite(rsp: dict) -> dict:
    """The desired composite resource of ``rsp``, created empty when missing."""
    composite = rsp.setdefault("desired", {}).setdefault("composite", {})
    return composite.setdefault("resource", {})


def set_desired_resource(rsp: dict, name: str, resource: dict, ready: bool | None = None) -> dict:
    """Sets the desired composed resource ``name``, marked ready when ``ready`` says so."""
    entry: dict = {"resource": resource}
    if ready is not None:
        entry["ready"] = "READY_TRUE" if ready else "READY_FALSE"
    rsp.setdefault("desired", {}).setdefault("resources", {})[name] = entry
    return rsp


def _result(rsp: dict, severity: str, message: str) -> dict:
    rsp.setdefault("results", []).append({"severity": severity, "message": message})
    return rsp


def fatal(rsp: dict, message: str) -> dict:
    """Adds a fatal result: Crossplane stops the pipeline and reports ``message`` on the XR."""
    return _result(rsp, "SEVERITY_FATAL", message)


def warning(rsp: dict, message: str) -> dict:
    """Adds a warning result, an event on the XR."""
    return _result(rsp, "SEVERITY_WARNING", message)


def normal(rsp: dict, message: str) -> dict:
    """Adds a normal result, an event on the XR."""
    return _result(rsp, "SEVERITY_NORMAL", message)


def run_json(compose: Handler, request: bytes) -> bytes:
    """Runs ``compose`` on the protojson bytes of a request, as the component does.

    Raises ``Err`` with the request's parse error or the handler's traceback: the host turns it
    into a fatal result naming the module.
    """
    try:
        req = json.loads(request)
    except ValueError as error:
        raise Err(f"the request is not JSON: {error}") from error
    try:
        rsp = compose(req)
    except Exception:  # Any failure of the handler is the module's error, with its traceback.
        raise Err(traceback.format_exc()) from None
    return json.dumps(rsp, separators=(",", ":"), ensure_ascii=False).encode()


def handler(compose: Handler) -> type:
    """The class to export as ``Handler``: its ``run`` runs ``compose`` with ``run_json``."""

    class _Handler:
        def run(self, request: bytes) -> bytes:
            return run_json(compose, request)

    return _Handler
