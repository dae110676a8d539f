"""The package's layers, lowest first: a module imports only from its own layer or those below it, lazily or not,
and the import graph has no cycle. The Dagster definitions and `aws-assets sync` never reach the simulated
organisation. Imports under `if TYPE_CHECKING:` name a type for annotations and run nothing, so they are not
counted."""

import ast

import pytest

from aws_assets_tests.conftest import REPO

PACKAGE = REPO / "aws_assets"
LAYERS = (
    "model", "aws", "lake", "inputs", "services", "collection", "relationships", "analysis", "graph", "defs", "sim",
    "app",
)


def module_imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        targets = graph.setdefault(name, set())
        tree = ast.parse(path.read_text(), str(path))
        typing_only = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and ast.unparse(node.test) == "TYPE_CHECKING" for inner in ast.walk(node)}
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("aws_assets."):
                targets.add(node.module)
                targets.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names if alias.name.startswith("aws_assets."))
    return {name: {target for target in targets if target in graph} for name, targets in graph.items()}


@pytest.fixture(scope="module")
def imports() -> dict[str, set[str]]:
    """module_imports(), parsed once for the module's tests (a second each): they only read it."""
    return module_imports()


def layer(module: str) -> int:
    top = module.split(".")[1]
    if top not in LAYERS:
        raise AssertionError(f"{module} is in no layer: put it in one of {', '.join(LAYERS)}")
    return LAYERS.index(top)


def test_every_module_is_in_a_layer(imports):
    assert set(path.name for path in PACKAGE.iterdir() if path.suffix == ".py") == {"__init__.py"}
    for module in imports:
        if module != "aws_assets":
            layer(module)


def test_imports_go_down_the_layers(imports):
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in imports.items() if module != "aws_assets"
        for target in targets if layer(target) > layer(module)
    )
    assert upward == []


def test_no_import_cycle(imports):
    graph = imports
    # A package's __init__ is imported on the way to its modules; only module-to-module edges make a cycle.
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                pytest.fail("import cycle: " + " -> ".join(path[path.index(target):] + [target]))
            if target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


@pytest.mark.parametrize("entry", ["aws_assets.defs.definitions", "aws_assets.defs.sync"])
def test_definitions_and_sync_do_not_reach_the_simulated_organisation(imports, entry):
    graph, seen, todo = imports, set(), [entry]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph[module])
    assert not [module for module in seen if module.startswith("aws_assets.sim")]
