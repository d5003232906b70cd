"""Users and their agent configuration."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from pa_cli.store.db import Database
from pa_cli.store.models import AgentConfig, User
from pa_cli.store.types import utcnow

LOCAL_USER_NAME: Final = "local"


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


class UserRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def local_user(self) -> User:
        """The single user of the CLI and TUI, created the first time it is asked for."""
        return self.ensure(LOCAL_USER_NAME)

    def get(self, user_id: int) -> User | None:
        with self._db.read() as session:
            return session.get(User, user_id)

    def by_name(self, name: str) -> User | None:
        with self._db.read() as session:
            return session.exec(select(User).where(User.name == name)).first()

    def ensure(self, name: str) -> User:
        user = self.by_name(name)
        if user is not None:
            return user
        try:
            with self._db.write() as session:
                user = session.exec(select(User).where(User.name == name)).first()
                if user is None:
                    user = User(name=name)
                    session.add(user)
                    session.flush()
                return user
        except IntegrityError:  # another process created it first (databases without BEGIN IMMEDIATE)
            user = self.by_name(name)
            if user is None:
                raise
            return user


class AgentConfigRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, user_id: int) -> AgentConfig:
        """The user's configuration; defaults (not stored) when it was never changed."""
        with self._db.read() as session:
            config = session.get(AgentConfig, user_id)
        return config if config is not None else AgentConfig(user_id=user_id)

    def update(
        self,
        user_id: int,
        *,
        system_prompt: str | _Unset | None = UNSET,
        enabled_tools: list[str] | _Unset | None = UNSET,
        preferences: dict[str, Any] | _Unset = UNSET,
    ) -> AgentConfig:
        """Change the given fields only; ``None`` resets the prompt or the tool list."""
        with self._db.write() as session:
            config = session.get(AgentConfig, user_id)
            if config is None:
                config = AgentConfig(user_id=user_id)
                session.add(config)
            if not isinstance(system_prompt, _Unset):
                config.system_prompt = system_prompt
            if not isinstance(enabled_tools, _Unset):
                config.enabled_tools = None if enabled_tools is None else list(enabled_tools)
            if not isinstance(preferences, _Unset):
                config.preferences = dict(preferences)
            config.updated_at = utcnow()
            session.flush()
            return config
