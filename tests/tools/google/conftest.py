from tests.google.support import rig

__all__ = ["rig"]
