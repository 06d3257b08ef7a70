"""mmuniformer's hooks, one file each."""
from .annotation_check_hook import AnnotationCheckHook
from .bad_video_hook import BadVideoError, BadVideoHook
from .exact_resume_hook import ExactResumeHook
from .nonfinite_check_hook import NonFiniteCheckHook, NonFiniteError
from .official_checkpoint_hook import OfficialCheckpointHook
from .resume_config_hook import ResumeConfigError, ResumeConfigHook
from .sync_buffers_hook import SyncBuffersHook

__all__ = ['AnnotationCheckHook', 'ResumeConfigError', 'ResumeConfigHook',
           'BadVideoError', 'BadVideoHook', 'ExactResumeHook',
           'NonFiniteCheckHook', 'NonFiniteError', 'OfficialCheckpointHook',
           'SyncBuffersHook']
