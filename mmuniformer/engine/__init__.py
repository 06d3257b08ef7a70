"""Runner-side helpers."""
from .bad_videos import BadVideoError, BadVideoHook
from .hooks import OfficialCheckpointHook
from .robust import ExactResumeHook, NonFiniteCheckHook, NonFiniteError

__all__ = ['OfficialCheckpointHook', 'BadVideoHook', 'BadVideoError',
           'ExactResumeHook', 'NonFiniteCheckHook', 'NonFiniteError']
