"""The packages depend downward only, as the README's map draws them: nothing imports a
package above its own, the crawler and the image code know nothing of the command line, the
test site or the report, and no site of the test site imports another."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Bottom first. A package may import its own layer's modules only if they are its own.
LAYERS = (
    {"errors", "spans", "stats"},
    {"crawler", "processing"},
    {"config"},
    {"measure"},
    {"runfolder"},
    {"models"},
    {"pipeline"},
    {"stage_alone"},  # one stage of the pipeline by itself, beside it
    {"compare"},
    {"claims"},
    {"report"},
    {"live"},
    {"cli", "bench"},  # the commands: the command line, and the benchmarks' own
)
LAYER = {name: level for level, names in enumerate(LAYERS) for name in names}
STANDALONE = {"testsite"}  # the local site: imported only by the commands and the tests
COMMANDS = {"cli", "bench"}


def owner(path: Path) -> str:
    relative = path.relative_to(ROOT)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imports(path: Path) -> Iterator[str]:
    """Top-level names path imports anywhere in it, `if __name__ == "__main__":` blocks and
    functions included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.level == 0 and inner.module:
                yield inner.module.split(".")[0]
            elif isinstance(inner, ast.Import):
                yield from (alias.name.split(".")[0] for alias in inner.names)


def project_files() -> Iterator[Path]:
    yield from ROOT.glob("*.py")
    for package in (*LAYER, *STANDALONE):
        yield from (ROOT / package).rglob("*.py")


def test_every_module_of_ours_is_on_the_map() -> None:
    ours = {owner(path) for path in project_files()}
    assert ours == set(LAYER) | STANDALONE


def test_nothing_imports_a_package_above_or_beside_its_own() -> None:
    wrong = []
    for path in project_files():
        mine = owner(path)
        for name in imports(path):
            if name == mine or (name not in LAYER and name not in STANDALONE):
                continue
            if mine in STANDALONE or name in STANDALONE:
                allowed = mine in COMMANDS or (mine in STANDALONE and name in LAYERS[0])
            else:
                allowed = LAYER[name] < LAYER[mine]
            if not allowed:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == []


def test_the_crawler_and_the_image_code_know_no_command_line_site_or_report() -> None:
    for package in ("crawler", "processing"):
        for path in (ROOT / package).rglob("*.py"):
            assert not {"click", "testsite", "report", "tqdm"} & set(imports(path)), path


TEST_SITES = {"photos", "docs", "hostile"}  # testsite/'s site packages, over its shared core


def imported_modules(path: Path) -> Iterator[str]:
    """Dotted names of the modules path imports anywhere in it, and of names imported from them."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_the_test_site_packages_are_the_known_sites() -> None:
    packages = {path.parent.name for path in (ROOT / "testsite").glob("*/__init__.py")}
    assert packages == TEST_SITES


def test_no_test_site_imports_another() -> None:
    wrong = []
    for site in TEST_SITES:
        for path in (ROOT / "testsite" / site).rglob("*.py"):
            for module in imported_modules(path):
                parts = module.split(".")
                if parts[0] == "testsite" and len(parts) > 1 and parts[1] in TEST_SITES - {site}:
                    wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []
