"""Runner-side helpers: hooks (one file each) and the AMP optimizer wrapper."""
from .amp import build_amp_optim_wrapper
from .hooks import (BadVideoError, BadVideoHook, ExactResumeHook,
                    NonFiniteCheckHook, NonFiniteError, OfficialCheckpointHook,
                    SyncBuffersHook)

__all__ = ['OfficialCheckpointHook', 'BadVideoHook', 'BadVideoError',
           'ExactResumeHook', 'NonFiniteCheckHook', 'NonFiniteError',
           'build_amp_optim_wrapper', 'SyncBuffersHook']
