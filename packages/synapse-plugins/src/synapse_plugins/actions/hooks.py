"""``HookAction``: a built-in action that runs a plugin's hook class (an exporter, an uploader).

A subclass names the base its hooks must subclass (``hook_base``) and uses ``self.hook_cls``; the registry calls
``bind(hook_cls)`` when a plugin's ``config.yaml`` names a hook class as the action's entrypoint (see
[`ActionRegistry`][synapse_plugins.actions.registry.ActionRegistry]).

Example:
    >>> class Greeter:
    ...     def greet(self):
    ...         return "hi"
    >>> class Greet(HookAction):
    ...     hook_base = Greeter
    ...     hook_cls = Greeter
    ...
    ...     def start(self):
    ...         return self.hook_cls().greet()
    >>> class Loud(Greeter):
    ...     def greet(self):
    ...         return "HI"
    >>> Greet.bind(Loud).hook_cls is Loud, Greet.bind(Loud).__name__
    (True, 'LoudGreet')
"""

from __future__ import annotations

from typing import Any, ClassVar

from .base import Action, ParamsT

__all__ = ["HookAction"]


class HookAction(Action[ParamsT]):
    """An action that runs a hook class: ``hook_base`` is what hooks subclass, ``hook_cls`` the one it runs."""

    hook_base: ClassVar[type] = object
    hook_cls: ClassVar[type] = object

    @classmethod
    def bind(cls, hook_cls: type) -> type[HookAction[Any]]:
        """Return a subclass of this action that runs ``hook_cls``.

        Args:
            hook_cls: A subclass of ``hook_base``.

        Returns:
            The bound action class (named after the hook class and this action).

        Raises:
            TypeError: ``hook_cls`` is not a subclass of ``hook_base``.
        """
        if not (isinstance(hook_cls, type) and issubclass(hook_cls, cls.hook_base)):
            raise TypeError(f"{hook_cls!r} is not a subclass of {cls.hook_base.__name__}")
        suffix = cls.__name__.removesuffix("Action")
        namespace = {"hook_cls": hook_cls, "__module__": hook_cls.__module__,
                     "__qualname__": f"{hook_cls.__qualname__}{suffix}"}  # fmt: skip
        bound: type[HookAction[Any]] = type(f"{hook_cls.__name__}{suffix}", (cls,), namespace)
        return bound
