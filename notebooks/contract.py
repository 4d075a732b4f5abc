"""The run engine's boundary: what a domain may know of a run's parameters, and how it hooks into the engine.

The engine knows no domain. A domain app (governance, courses) registers its callables here from its own
`AppConfig.ready()`, so the dependency is an import the tools see (domain → notebooks), never a dotted path in
the settings that fails only when a run ends:

- `on_run_finished(fn)`: `fn(run_id) -> None`, called after a run reached an end state and its outcome is
  stored. It must be idempotent: a run whose hooks did not all return is driven again by the reaper
  (`notebooks.hooks.runs_redrive_hooks`) until they do, and a hook that returned is not called again.
- `run_visibility(fn)`: `fn(user) -> Q` over `Run`, widening who may see a run (an instructor sees the runs
  of their course).
- `run_inputs(fn)`: `fn(run) -> {relative path: storage name | bytes}`, the files a run reads besides the
  catalogue, copied into its scratch directory before the kernel starts.
- `notebook_panel(fn)`: `fn(request, notebook) -> str | None`, extra HTML (rendered and escaped by the
  domain's own template) on a catalogue notebook's page.

A wrong registration (not callable, the wrong number of arguments, the same callable twice, or a
registration after start-up) raises `ImproperlyConfigured` at once, so the portal does not start with it.
Tests swap the registered callables with `hooks_replaced`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

# --- parameters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter of a notebook version, as the catalogue read it (`NotebookVersion.parameters` stores it as
    JSON; `notebooks.parameters.spec_from_inspection` builds it). The run form, the API and the services all
    validate with it (`notebooks.parameters.validate_parameters`), so a value is checked one way everywhere."""

    name: str
    type: str
    default: Any
    help: str = ""
    help_i18n: Mapping[str, str] = field(default_factory=dict)
    min: int | float | None = None
    max: int | float | None = None
    choices: tuple[Any, ...] | None = None
    kind: str = ""
    max_length: int | None = None

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> ParameterSpec:
        """The spec from its stored JSON form (keys the catalogue writes; unknown keys are ignored)."""
        choices = stored.get("choices")
        return cls(
            name=str(stored["name"]),
            type=str(stored["type"]),
            default=stored.get("default"),
            help=str(stored.get("help", "")),
            help_i18n=dict(stored.get("help_i18n") or {}),
            min=stored.get("min"),
            max=stored.get("max"),
            choices=tuple(choices) if choices is not None else None,
            kind=str(stored.get("kind", "")),
            max_length=stored.get("max_length"),
        )


def parameter_specs(stored: Any) -> tuple[ParameterSpec, ...]:
    """The specs of a notebook version (`version.parameters`), in the notebook's order."""
    return tuple(spec if isinstance(spec, ParameterSpec) else ParameterSpec.from_stored(spec) for spec in stored or ())


# --- registrations -------------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])

# Each kind of registration and the positional arguments its callables receive (for the signature check).
_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "run_finished": ("run_id",),
    "run_visibility": ("user",),
    "run_inputs": ("run",),
    "notebook_panel": ("request", "notebook"),
}
_registered: dict[str, list[Callable[..., Any]]] = {kind: [] for kind in _ARGUMENTS}


def hook_name(fn: Callable[..., Any]) -> str:
    """A registered callable's stable name (`module.qualname`): what a run records once the hook acknowledged it."""
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _register(kind: str, fn: F) -> F:
    arguments = _ARGUMENTS[kind]
    if not callable(fn):
        raise ImproperlyConfigured(f"A {kind} registration must be callable, not {fn!r}.")
    try:
        inspect.signature(fn).bind(*arguments)
    except TypeError:
        raise ImproperlyConfigured(f"{hook_name(fn)} cannot be a {kind} hook: it must take ({', '.join(arguments)}).") from None
    except ValueError:  # a builtin without a signature: it cannot be checked, so it cannot be trusted
        raise ImproperlyConfigured(f"{fn!r} cannot be a {kind} hook: its signature cannot be read.") from None
    if fn in _registered[kind] or hook_name(fn) in {hook_name(known) for known in _registered[kind]}:
        raise ImproperlyConfigured(f"{hook_name(fn)} is registered twice as a {kind} hook.")
    if apps.ready:
        raise ImproperlyConfigured(
            f"{hook_name(fn)} was registered as a {kind} hook after start-up: register it in its app's AppConfig.ready()."
        )
    _registered[kind].append(fn)
    return fn


def on_run_finished(fn: F) -> F:
    """Registers `fn(run_id)`, called (idempotently, until it returns) once a run reached an end state."""
    return _register("run_finished", fn)


def run_visibility(fn: F) -> F:
    """Registers `fn(user) -> Q` over runs: who besides the owner and administrators may see a run."""
    return _register("run_visibility", fn)


def run_inputs(fn: F) -> F:
    """Registers `fn(run) -> {relative path: storage name | bytes}`: files the run reads besides the catalogue."""
    return _register("run_inputs", fn)


def notebook_panel(fn: F) -> F:
    """Registers `fn(request, notebook) -> str | None`: an HTML panel on a catalogue notebook's page."""
    return _register("notebook_panel", fn)


def registered(kind: str) -> tuple[Callable[..., Any], ...]:
    """The callables registered for `kind` (one of run_finished, run_visibility, run_inputs, notebook_panel)."""
    return tuple(_registered[kind])


@contextmanager
def hooks_replaced(**replacements: list[Callable[..., Any]]) -> Iterator[None]:
    """For tests: the given kinds' callables are exactly these inside the block (no checks), restored after it.
    `hooks_replaced(run_finished=[*registered("run_finished"), extra])` adds one."""
    saved = {kind: list(_registered[kind]) for kind in replacements}
    try:
        for kind, callables in replacements.items():
            _registered[kind][:] = callables
        yield
    finally:
        for kind, callables in saved.items():
            _registered[kind][:] = callables
