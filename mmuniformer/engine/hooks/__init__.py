"""mmuniformer's hooks, one file each."""
from .bad_video_hook import BadVideoHook
from .checkpoint_hook import AtomicLocalBackend, CheckpointHook
from .exact_resume_hook import ExactResumeHook
from .nonfinite_check_hook import NonFiniteCheckHook, NonFiniteError
from .official_checkpoint_hook import OfficialCheckpointHook
from .preemption_hook import Preempted, PreemptionHook
from .quiet_logs_hook import QuietLogsHook
from .run_lock_hook import RunLockHook, WorkDirLockedError
from .sync_buffers_hook import SyncBuffersHook
from ...datasets.video_faults import BadVideoError  # noqa: E402 (its home)

__all__ = ['AtomicLocalBackend', 'BadVideoError', 'BadVideoHook',
           'CheckpointHook', 'ExactResumeHook', 'NonFiniteCheckHook',
           'NonFiniteError', 'OfficialCheckpointHook', 'Preempted',
           'PreemptionHook', 'QuietLogsHook', 'RunLockHook',
           'SyncBuffersHook', 'WorkDirLockedError']
