"""``Action``: the base class of every plugin action, and the wrapper that makes a function one.

An action declares its params as a pydantic model (``params_model``, or the generic parameter ``Action[MyParams]``)
and implements ``start()``. The runner validates the params once and builds the action with the **validated** model
instance as ``self.params`` and the [`Run`][synapse_plugins.run.Run] as ``self.run``; ``start()``'s return value is
the action's result.

Example:
    >>> from pydantic import BaseModel
    >>> from synapse_plugins.run import Run
    >>> class Params(BaseModel):
    ...     name: str
    ...     repeat: int = 2
    >>> class Greet(Action[Params]):
    ...     def start(self):
    ...         self.run.log_message(f"greeting {self.params.name}")
    ...         return " ".join(["hello"] * self.params.repeat)
    >>> params = Greet.validate_params({"name": "Ada"})
    >>> Greet(params, Run()).start()
    'hello hello'
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, get_args, get_origin, get_type_hints

from pydantic import BaseModel, ConfigDict, ValidationError

from ..categories import PluginCategory, RunMethod
from ..errors import ParamsError

if TYPE_CHECKING:
    from ..config import ActionConfig, PluginConfig
    from ..run import Run

__all__ = ["Action", "ActionContext", "AnyParams", "ParamsT", "function_action"]

ParamsT = TypeVar("ParamsT", bound=BaseModel)


class AnyParams(BaseModel):
    """The params model of an action that declares none: any JSON object, fields readable as attributes.

    Example:
        >>> AnyParams.model_validate({"epochs": 3}).epochs
        3
    """

    model_config = ConfigDict(extra="allow")


@dataclass(frozen=True)
class ActionContext:
    """Where an action runs: its plugin and its job.

    Attributes:
        name: The action's name in the plugin.
        plugin_path: The plugin folder.
        plugin: The plugin's validated config.
        config: The action's entry in the config.
        job_id: The platform job id, if the run has one.
        env: The environment variables the action may read (an allow-list, never the submitter's whole
            environment).
    """

    name: str
    plugin_path: Path | None = None
    plugin: PluginConfig | None = None
    config: ActionConfig | None = None
    job_id: str | None = None
    env: Mapping[str, str] | None = None


class Action(Generic[ParamsT]):
    """Base class of plugin actions.

    Class attributes (all optional):

    - ``name``: the action's default name (the config's key wins).
    - ``category``: the plugin category it belongs to.
    - ``method``: how the platform runs it (``job``, ``task``, ``restapi``); the config's ``method`` wins, and the
      default comes from the action's name (see [`default_method`][synapse_plugins.actions.builtin.default_method]).
    - ``params_model``: the pydantic model of its params (or give it as ``Action[Model]``); none accepts any object.
    - ``progress_categories``: ``{name: proportion}`` for weighted progress.
    - ``metrics_categories``: the metrics categories it reports.

    Args:
        params: The validated params (an instance of the params model).
        run: The run to report through.
        context: Where it runs (plugin, job, allowed environment).

    Example:
        >>> class Count(Action):
        ...     progress_categories = {"count": 100}
        ...
        ...     def start(self):
        ...         for i in range(1, 4):
        ...             self.run.set_progress(i, 3, "count")
        ...         return {"counted": 3}
        >>> from synapse_plugins.run import Run
        >>> Count(Count.validate_params({}), Run(progress_categories=Count.progress_categories)).start()
        {'counted': 3}
    """

    name: ClassVar[str] = ""
    category: ClassVar[PluginCategory | None] = None
    method: ClassVar[RunMethod | None] = None
    params_model: ClassVar[type[BaseModel] | None] = None
    progress_categories: ClassVar[Mapping[str, Any] | None] = None
    metrics_categories: ClassVar[Sequence[str] | None] = None

    def __init__(self, params: ParamsT, run: Run, context: ActionContext | None = None) -> None:
        self.params: ParamsT = params
        self.run = run
        self.context = context or ActionContext(name=self.name or type(self).__name__)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.context.name!r})"

    def start(self) -> Any:
        """Do the action's work and return its result (JSON-serializable).

        Raises:
            NotImplementedError: Subclasses implement it.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement start()")

    @classmethod
    def get_params_model(cls) -> type[BaseModel]:
        """Return the params model: ``params_model``, else the generic parameter, else ``AnyParams``.

        Example:
            >>> from pydantic import BaseModel
            >>> class P(BaseModel):
            ...     x: int = 1
            >>> class A(Action[P]): ...
            >>> A.get_params_model() is P
            True
        """
        if cls.params_model is not None:
            return cls.params_model
        for klass in cls.__mro__:
            for base in getattr(klass, "__orig_bases__", ()):
                if get_origin(base) is Action:
                    (arg,) = get_args(base)
                    if isinstance(arg, type) and issubclass(arg, BaseModel):
                        return arg
        return AnyParams

    @classmethod
    def validate_params(cls, params: Mapping[str, Any] | BaseModel | None, *, action: str = "") -> BaseModel:
        """Validate params against the params model.

        Args:
            params: A JSON object (mapping), a model instance, or None for ``{}``.
            action: The action's name, for the error message.

        Returns:
            The validated model instance (declared defaults applied).

        Raises:
            ParamsError: With the platform's field errors ``{field: [messages]}``.

        Example:
            >>> from pydantic import BaseModel
            >>> class P(BaseModel):
            ...     epochs: int
            >>> class Train(Action[P]): ...
            >>> try:
            ...     Train.validate_params({"epochs": "many"}, action="train")
            ... except ParamsError as exc:
            ...     print(list(exc.field_errors))
            ['epochs']
        """
        from ..types import to_field_errors

        model = cls.get_params_model()
        name = action or cls.name
        if isinstance(params, model):
            return params
        if isinstance(params, BaseModel):
            params = params.model_dump()
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            raise ParamsError({"non_field_errors": [f"params must be a JSON object, got {type(params).__name__}"]},
                              action=name)  # fmt: skip
        try:
            return model.model_validate(dict(params), context={"action": name})
        except ValidationError as exc:
            raise ParamsError(to_field_errors(exc), action=name) from None

    @classmethod
    def params_schema(cls) -> dict[str, Any]:
        """Return the params model's JSON Schema (what the platform renders as the action's form).

        Example:
            >>> from pydantic import BaseModel
            >>> class P(BaseModel):
            ...     epochs: int = 10
            >>> class Train(Action[P]): ...
            >>> Train.params_schema()["properties"]["epochs"]["default"]
            10
        """
        return cls.get_params_model().model_json_schema()


def function_action(function: Callable[..., Any], name: str = "") -> type[Action[Any]]:
    """Wrap ``fn(run, params)`` as an action class.

    When ``params`` is annotated with a pydantic model, that is the params model and ``fn`` gets the validated
    instance; otherwise ``fn`` gets the params as a plain dict.

    Args:
        function: The function.
        name: The action's name.

    Returns:
        An ``Action`` subclass that calls it.

    Raises:
        TypeError: If the function does not take two positional parameters.

    Example:
        >>> def hello(run, params):
        ...     return f"hello {params['who']}"
        >>> from synapse_plugins.run import Run
        >>> cls = function_action(hello, "hello")
        >>> cls(cls.validate_params({"who": "Ada"}), Run()).start()
        'hello Ada'
    """
    signature = inspect.signature(function)
    positional = [p for p in signature.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) < 2 and not any(p.kind is p.VAR_POSITIONAL for p in signature.parameters.values()):
        raise TypeError(f"{function.__qualname__} must take (run, params)")
    model: type[BaseModel] | None = None
    if len(positional) >= 2:
        try:
            hint = get_type_hints(function).get(positional[1].name)
        except Exception:  # unresolvable annotations: treat as unannotated
            hint = None
        if isinstance(hint, type) and issubclass(hint, BaseModel):
            model = hint

    def start(self: Action[Any]) -> Any:
        params = self.params if model is not None else self.params.model_dump()
        return function(self.run, params)

    namespace = {
        "name": name or function.__name__,
        "params_model": model,
        "start": start,
        "__doc__": function.__doc__,
        "__module__": function.__module__,
        "function": staticmethod(function),
        # A function may carry its progress and metrics categories as attributes.
        "progress_categories": getattr(function, "progress_categories", None),
        "metrics_categories": getattr(function, "metrics_categories", None),
    }
    return type(f"{function.__name__}_action", (Action,), namespace)
