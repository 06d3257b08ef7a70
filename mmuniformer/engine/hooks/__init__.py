"""mmuniformer's hooks, one file each."""
from ...datasets.video_faults import BadVideoError  # its home: the pipeline
from .annotation_check_hook import AnnotationCheckHook
from .bad_video_hook import BadVideoHook
from .checkpoint_hook import AtomicLocalBackend, CheckpointHook
from .exact_resume_hook import ExactResumeHook
from .nonfinite_check_hook import NonFiniteCheckHook, NonFiniteError
from .official_checkpoint_hook import OfficialCheckpointHook
from .preemption_hook import Preempted, PreemptionHook
from .quiet_logs_hook import QuietLogsHook
from .resume_config_hook import ResumeConfigError, ResumeConfigHook
from .run_lock_hook import RunLockHook, WorkDirLockedError
from .sync_buffers_hook import SyncBuffersHook

__all__ = ['AnnotationCheckHook', 'AtomicLocalBackend', 'BadVideoError',
           'BadVideoHook', 'CheckpointHook', 'ExactResumeHook',
           'NonFiniteCheckHook', 'NonFiniteError', 'OfficialCheckpointHook',
           'Preempted', 'PreemptionHook', 'QuietLogsHook', 'ResumeConfigError',
           'ResumeConfigHook', 'RunLockHook', 'SyncBuffersHook',
           'WorkDirLockedError']
