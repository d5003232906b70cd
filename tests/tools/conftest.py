"""Fixtures for the tool tests: settings, and plugin distributions installed into a site dir.

``plugin_site_dir`` installs the throwaway plugin in ``tests/tools/plugin_pkg`` (a
real distribution, ``pip install``-able) the way an installer lays out a wheel:
the package plus a ``.dist-info`` with its ``entry_points.txt``. Put the directory
on ``sys.path`` (``installed_plugin``) or on ``PYTHONPATH`` for a subprocess, and
``importlib.metadata`` finds the plugin like any installed one. Done by hand so
the tests need neither network nor a build backend.
"""

from __future__ import annotations

import importlib
import sys
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported in the fixtures that use them: the pure unit tests need neither
    from pa_cli.config import Settings
    from pa_cli.store import Store
    from pa_cli.tools.base import ToolContext

PLUGIN_SOURCE = Path(__file__).parent / "plugin_pkg"
PLUGIN_MODULE = "pa_word_count"


def write_distribution(
    site: Path,
    name: str,
    *,
    version: str = "0.1.0",
    entry_points: Mapping[str, Mapping[str, str]],
    modules: Mapping[str, str] = {},
) -> Path:
    """Lay out an installed distribution in ``site``: modules (relative path -> source) and its dist-info."""
    site.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    for rel, source in modules.items():
        target = site / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source, encoding="utf-8")
        files.append(rel)
    dist_info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    lines: list[str] = []
    for group, eps in entry_points.items():
        lines.append(f"[{group}]")
        lines.extend(f"{ep_name} = {value}" for ep_name, value in eps.items())
        lines.append("")
    (dist_info / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")
    (dist_info / "INSTALLER").write_text("pa-tests\n", encoding="utf-8")
    record = [*files, *(f"{dist_info.name}/{n}" for n in ("METADATA", "entry_points.txt", "INSTALLER"))]
    (dist_info / "RECORD").write_text("".join(f"{r},,\n" for r in record), encoding="utf-8")
    return dist_info


def install_plugin_package(source: Path, site: Path) -> Path:
    """Install the distribution whose pyproject.toml is in ``source`` into ``site``; return ``site``."""
    meta = tomllib.loads((source / "pyproject.toml").read_text(encoding="utf-8"))
    project = meta["project"]
    packages: list[str] = meta["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    modules: dict[str, str] = {}
    for package in packages:
        for path in sorted((source / package).rglob("*.py")):
            modules[str(path.relative_to(source))] = path.read_text(encoding="utf-8")
    write_distribution(
        site,
        project["name"],
        version=project["version"],
        entry_points=project.get("entry-points", {}),
        modules=modules,
    )
    return site


def forget_modules(*names: str) -> None:
    for loaded in list(sys.modules):
        if any(loaded == n or loaded.startswith(n + ".") for n in names):
            del sys.modules[loaded]
    importlib.invalidate_caches()


@pytest.fixture(scope="session")
def plugin_site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the installed ``pa-word-count`` plugin (for sys.path or PYTHONPATH)."""
    return install_plugin_package(PLUGIN_SOURCE, tmp_path_factory.mktemp("plugin-site"))


@pytest.fixture
def installed_plugin(plugin_site_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The plugin is installed in this process for the test, and gone afterwards."""
    forget_modules(PLUGIN_MODULE)
    monkeypatch.syspath_prepend(str(plugin_site_dir))
    yield plugin_site_dir
    forget_modules(PLUGIN_MODULE)


@pytest.fixture
def extra_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty site dir on sys.path: write test distributions into it with ``write_distribution``."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    before = set(sys.modules)
    yield site
    forget_modules(*(m for m in set(sys.modules) - before if m.startswith("pa_test_")))


@pytest.fixture
def settings(pa_home: Path) -> Settings:
    from pa_cli.config import load_settings

    return load_settings()


@pytest.fixture
def ctx(settings: Settings, store: Store) -> ToolContext:
    """A tool context for the local user in a fresh chat session, on the real store."""
    from pa_cli.tools.base import ToolContext

    user = store.users.local_user()
    session = store.sessions.create(user.id)
    return ToolContext(settings=settings, store=store, user_id=user.id, session_id=session.id, frontend="cli")
