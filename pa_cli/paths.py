"""Where pa keeps its config, data and cache.

``PA_HOME`` relocates everything (tests use it so they never touch the real
home); otherwise platformdirs picks the OS-conventional directories.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

APP_NAME = "pa"


class AppPaths(NamedTuple):
    config_dir: Path
    data_dir: Path
    cache_dir: Path
    #: ``PA_HOME`` when it is set (it then holds config/, data/, cache/ and skills/).
    home: Path | None = None

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def database_file(self) -> Path:
        return self.data_dir / "pa.db"

    @property
    def secrets_file(self) -> Path:
        """The encrypted-file secret store used where no OS keyring exists."""
        return self.data_dir / "secrets.enc"

    @property
    def skills_dir(self) -> Path:
        """The user's skills, one folder each with a SKILL.md: ``$PA_HOME/skills`` or beside the data."""
        return (self.home or self.data_dir) / "skills"

    @property
    def log_dir(self) -> Path:
        return self.cache_dir / "logs"

    def ensure(self) -> None:
        for d in (self.config_dir, self.data_dir, self.cache_dir):
            d.mkdir(parents=True, exist_ok=True, mode=0o700)


def app_paths(environ: dict[str, str] | None = None) -> AppPaths:
    env = os.environ if environ is None else environ
    home = env.get("PA_HOME")
    if home:
        root = Path(home).expanduser()
        return AppPaths(root / "config", root / "data", root / "cache", home=root)
    import platformdirs

    return AppPaths(
        Path(platformdirs.user_config_dir(APP_NAME)),
        Path(platformdirs.user_data_dir(APP_NAME)),
        Path(platformdirs.user_cache_dir(APP_NAME)),
    )
