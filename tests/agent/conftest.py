"""Agent test fixtures: the throwaway plugin distribution is shared with the tool tests."""

from tests.tools.conftest import plugin_site_dir  # noqa: F401  (re-exported fixture)
