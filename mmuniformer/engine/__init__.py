"""Runner-side helpers."""
from .hooks import OfficialCheckpointHook

__all__ = ['OfficialCheckpointHook']
