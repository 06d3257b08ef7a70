"""Runner-side helpers."""
from .amp import build_amp_optim_wrapper
from .hooks import OfficialCheckpointHook

__all__ = ['OfficialCheckpointHook', 'build_amp_optim_wrapper']
