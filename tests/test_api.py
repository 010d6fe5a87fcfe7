"""The public API is explicit: each package exports exactly the ``__all__`` of its modules, by explicit imports."""

import ast
import importlib
import pkgutil
import types
from pathlib import Path

import pytest

# Names a package exports from a private module on purpose (the exercise machinery students call directly).
EXTRA = {"vaebook.exercises": {"CheckReport", "Checker"}}
PACKAGES = ["vaebook.models", "vaebook.layers", "vaebook.exercises", "vaebook.plotting"]


def _module_names(package) -> dict[str, str]:
    """name -> module for every name in the ``__all__`` of every public module of ``package``."""
    owners: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        assert hasattr(module, "__all__"), f"{module.__name__} has no __all__: list its public names"
        for name in module.__all__:
            assert name not in owners, f"{name!r} is exported by both {owners[name]} and {module.__name__}"
            owners[name] = module.__name__
    return owners


def _import_lines(missing: dict[str, list[str]]) -> str:
    return "\n".join(
        f"from {module} import " + ", ".join(f"{n} as {n}" for n in names) for module, names in sorted(missing.items())
    )


@pytest.mark.parametrize("package_name", PACKAGES)
def test_package_exports_exactly_its_modules_all(package_name):
    package = importlib.import_module(package_name)
    owners = _module_names(package)
    exported = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    expected = set(owners) | EXTRA.get(package_name, set())

    missing: dict[str, list[str]] = {}
    for name in sorted(set(owners) - exported):
        missing.setdefault(owners[name], []).append(name)
    assert not missing, f"{package_name}/__init__.py lacks these imports; add the lines:\n" + _import_lines(missing)
    extra = exported - expected
    assert not extra, f"{package_name} exports names no module lists in its __all__: {sorted(extra)}"
    assert sorted(package.__all__) == sorted(expected), f"{package_name}.__all__ differs from its modules' names"
    for name, module in owners.items():
        assert getattr(package, name) is getattr(importlib.import_module(module), name), (
            f"{package_name}.{name} is not {module}.{name}"
        )


def test_every_public_module_lists_only_names_it_has():
    import vaebook

    for name in vaebook.__all__:
        if name == "__version__":
            continue
        module = getattr(vaebook, name)
        for public in getattr(module, "__all__", []):
            assert hasattr(module, public), f"vaebook.{name}.__all__ lists {public!r}, which it does not define"


# A module holds one concept; past this many lines it is split by what its parts hold (as vaebook.plotting was), or a
# paragraph of its docstring starting with LONG_REASON says why it is not.
MAX_MODULE_LINES = 400
LONG_REASON = "Why this module is long:"


def _modules_too_long(root: Path) -> list[str]:
    too_long = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES and LONG_REASON not in (ast.get_docstring(ast.parse(text)) or ""):
            too_long.append(f"{path.relative_to(root.parent).as_posix()} ({lines} lines)")
    return too_long


def test_no_module_is_over_400_lines_without_a_reason_at_its_top(tmp_path):
    import vaebook

    too_long = _modules_too_long(Path(vaebook.__file__).resolve().parent)
    assert not too_long, (
        f"split these modules by what their parts hold, or state at the top of the docstring why not "
        f"({LONG_REASON!r}): {too_long}"
    )
    package = tmp_path / "pkg"
    package.mkdir()
    body = "\n".join(f"x{i} = {i}" for i in range(MAX_MODULE_LINES))
    (package / "long.py").write_text(f'"""A long module."""\n{body}\n')
    (package / "short.py").write_text(f'"""A short module."""\n{body[: body.rindex(chr(10))]}\n')
    (package / "reasoned.py").write_text(f'"""A long module.\n\n{LONG_REASON} one table."""\n{body}\n')
    assert _modules_too_long(package) == [f"pkg/long.py ({MAX_MODULE_LINES + 1} lines)"]


def test_the_import_lines_name_the_module_and_every_missing_name():
    lines = _import_lines({"vaebook.models.tabular_vae": ["TabularVAE", "build_tabular_vae"]})
    assert lines == (
        "from vaebook.models.tabular_vae import TabularVAE as TabularVAE, build_tabular_vae as build_tabular_vae"
    )


# ---- one vocabulary across the models (the table in CONTRIBUTING.md, "One vocabulary") -------------------------

# The metric names a model may report besides Keras's own "loss": one name per quantity.
METRIC_NAMES = {"reconstruction", "kl", "vq_loss", "perplexity", "codes_used"} | {
    "discriminator_loss",
    "generator_loss",
    "d_real",
    "d_fake",
}
# Names that the vocabulary replaced: no model may define them again.
RETIRED_METHODS = {"log_prob", "reconstruction_loss_tracker", "kl_tracker", "loss_tracker"}
NUMPY_METHODS = ("encode", "decode", "sample", "log_likelihood", "reconstruct", "encode_indices", "decode_indices")


def _model_classes():
    import vaebook.models as models

    return {
        name: value
        for name, value in vars(models).items()
        if isinstance(value, type) and issubclass(value, models.GenerativeModel) and not name.startswith("_")
    }


def test_every_generative_model_shares_the_base_and_its_config():
    import inspect

    import keras

    import vaebook.models as models

    classes = _model_classes()
    expected = {
        "VAE",
        "ConditionalVAE",
        "PixelCNNVAE",
        "PixelCNNVQVAE",
        "VQVAE",
        "GAN",
        "DDPM",
        "TabularVAE",
        "PixelCNN",
    }
    assert expected <= set(classes), f"models outside the shared base: {sorted(expected - set(classes))}"
    stray = [
        name
        for name, value in vars(models).items()
        if isinstance(value, type) and issubclass(value, keras.Model) and name not in classes
    ]
    assert set(stray) <= {"Autoencoder", "ContractiveAutoencoder", "DenoisingAutoencoder", "SparseAutoencoder"}, stray
    for name, cls in classes.items():
        # the one generic get_config/from_config: a model declares submodels and config_keys instead
        for method in ("get_config", "from_config"):
            owner = next(k for k in cls.__mro__ if method in vars(k))
            assert owner.__module__ == "vaebook.models.base", f"{name}.{method} is written in {owner.__module__}"
        # the constructor's arguments, with those it passes on through **kwargs to its bases
        params = {p for k in cls.__mro__ if "__init__" in vars(k) for p in inspect.signature(k.__init__).parameters}
        for key in (*cls.submodels, *cls.config_keys):
            assert key in params, f"{name}: config key {key!r} is not an argument of __init__"
        assert set(cls.tracked) <= METRIC_NAMES, f"{name} reports metrics outside the vocabulary: {cls.tracked}"
        assert not RETIRED_METHODS & set(dir(cls)), f"{name} defines retired names {RETIRED_METHODS & set(dir(cls))}"


@pytest.mark.parametrize("method", NUMPY_METHODS)
def test_the_same_method_takes_the_same_arguments_and_defaults(method):
    import inspect

    import vaebook.models as models

    for name, cls in {**_model_classes(), "Autoencoder": models.Autoencoder}.items():
        fn = getattr(cls, method, None)
        if fn is None:
            continue
        params = inspect.signature(fn).parameters
        if "batch_size" in params:
            assert params["batch_size"].default == models.BATCH_SIZE, f"{name}.{method}: batch_size default"
        if "seed" in params:
            assert params["seed"].default is None or method == "reconstruct", f"{name}.{method}: seed default"
        if method == "sample":
            first = list(params)[1]
            assert first == "num_samples", f"{name}.sample's first argument is {first!r}, not num_samples"
            assert "seed" in params, f"{name}.sample takes no seed"
        if method in ("decode", "decode_indices") and name != "Autoencoder":
            assert "seed" in params, f"{name}.{method} takes no seed (every decoder may draw)"


def _constructor_arguments(cls) -> set[str]:
    """The arguments of every vaebook constructor in ``cls``'s MRO (Keras's own base classes left out)."""
    import inspect

    names = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("vaebook") and "__init__" in vars(klass):
            names |= set(inspect.signature(klass.__init__).parameters) - {"self", "args", "kwargs"}
    return names


# Sizes a builder gives both to its networks and to the model, so they are the builder's own arguments.
SHARED_SIZES = {"filters", "num_classes"}


def test_mnist_model_builders_size_the_networks_and_pass_the_models_arguments_on():
    import inspect
    import typing

    import vaebook.models as models
    from vaebook.layers import VectorQuantizer

    functions = {n: fn for n, fn in vars(models).items() if n.startswith("build_mnist_") and inspect.isfunction(fn)}
    returns = {n: typing.get_type_hints(fn).get("return") for n, fn in functions.items()}
    unannotated = sorted(n for n, cls in returns.items() if not isinstance(cls, type))
    assert not unannotated, f"builders without a class as return annotation: {unannotated}"
    builders = {
        n: fn for n, fn in functions.items() if issubclass(typing.get_type_hints(fn)["return"], models.GenerativeModel)
    }
    assert {"build_mnist_vae", "build_mnist_cvae", "build_mnist_vqvae", "build_mnist_pixelcnn_vqvae"} <= set(builders)
    # A VQ builder's own quantizer arguments: the code book's size, and the seed of its initialization.
    quantizer_arguments = _constructor_arguments(VectorQuantizer) - {"num_embeddings", "embedding_dim", "seed"}
    for name, fn in builders.items():
        cls = typing.get_type_hints(fn)["return"]
        params = inspect.signature(fn).parameters
        first = next(iter(params.values()))
        assert (first.name, first.default) == ("latent_dim", 16), f"{name} starts with {first}, not latent_dim=16"
        assert list(params.values())[-1].kind is inspect.Parameter.VAR_KEYWORD, f"{name} takes no **kwargs"
        # the model's own arguments (and the quantizer's) are never restated: they pass on through **kwargs
        model_arguments = (_constructor_arguments(cls) | {"name"}) - set(cls.submodels) - SHARED_SIZES
        restated = set(params) & model_arguments
        assert not restated, f"{name} restates {cls.__name__}'s arguments {sorted(restated)}"
        if issubclass(cls, models.VQModel):
            restated = set(params) & quantizer_arguments
            assert not restated, f"{name} restates the quantizer's arguments {sorted(restated)}: quantizer_options"
            assert params["quantizer_options"].default is None and params["seed"].default is None, name


@pytest.mark.parametrize(
    "builder", ["build_mnist_vae", "build_mnist_cvae", "build_mnist_pixelcnn_vae", "build_mnist_vqvae"]
)
def test_a_misspelled_builder_argument_is_an_error(builder):
    import vaebook.models as models

    # **kwargs pass on to the model, whose constructor (Keras's Layer) refuses a name it does not know
    with pytest.raises((TypeError, ValueError), match="betta"):
        getattr(models, builder)(latent_dim=2, betta=2.0)
