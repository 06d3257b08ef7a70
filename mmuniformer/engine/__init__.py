"""Runner-side helpers."""
from .amp import build_amp_optim_wrapper
from .bad_videos import BadVideoError, BadVideoHook
from .hooks import OfficialCheckpointHook
from .robust import (ExactResumeHook, NonFiniteCheckHook, NonFiniteError,
                     SyncBuffersHook)

__all__ = ['OfficialCheckpointHook', 'BadVideoHook', 'BadVideoError',
           'ExactResumeHook', 'NonFiniteCheckHook', 'NonFiniteError',
           'build_amp_optim_wrapper', 'SyncBuffersHook']
