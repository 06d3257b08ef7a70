"""mmuniformer's hooks, one file each."""
from .bad_video_hook import BadVideoError, BadVideoHook
from .exact_resume_hook import ExactResumeHook
from .nonfinite_check_hook import NonFiniteCheckHook, NonFiniteError
from .official_checkpoint_hook import OfficialCheckpointHook
from .sync_buffers_hook import SyncBuffersHook

__all__ = ['BadVideoError', 'BadVideoHook', 'ExactResumeHook',
           'NonFiniteCheckHook', 'NonFiniteError', 'OfficialCheckpointHook',
           'SyncBuffersHook']
