"""One pattern for the config of vaebook's layers and models: Keras's own, plus the constructor's arguments.

A layer or model that mixes in :class:`DeclaredConfig` stores each constructor argument under its own name
(``self.filters = filters``); ``get_config`` starts from ``super().get_config()`` (name, trainable, dtype policy)
and adds those arguments, so ``cls(**config)`` rebuilds it. A model names them in ``config_keys`` (its sub-models
and the arguments it passes on to its base through ``**kwargs`` make the signature an unreliable list); a layer
that leaves ``config_keys`` unset saves every named argument of its own ``__init__``, as Keras's automatic config
does, but read back from the attributes (the checked values, not the raw ones).
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import keras


def config_value(value: Any) -> Any:
    """A value as a config holds it: a variable's value as a float (a model's ``beta``), a tuple as a list, an
    initializer as Keras serializes it."""
    if isinstance(value, keras.Variable):
        return float(keras.ops.convert_to_numpy(value))
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, keras.initializers.Initializer):
        return keras.initializers.serialize(value)
    return value


def constructor_arguments(cls: type) -> tuple[str, ...]:
    """The named arguments of ``cls.__init__`` (not ``self``, ``*args`` or ``**kwargs``), in order."""
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(p.name for p in parameters if p.kind in named)


class DeclaredConfig:
    """Mixin of a Keras layer or model: ``get_config`` = Keras's config plus the constructor's arguments.

    Put it before the Keras base class: ``class PixelCNNDecoder(DeclaredConfig, keras.layers.Layer)``.
    ``config_keys`` names the arguments; ``None`` (the default) means every named argument of the class's own
    ``__init__``.
    """

    config_keys: ClassVar[tuple[str, ...] | None] = None

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        keys = constructor_arguments(type(self)) if self.config_keys is None else self.config_keys
        config.update({name: config_value(getattr(self, name)) for name in keys})
        return config
