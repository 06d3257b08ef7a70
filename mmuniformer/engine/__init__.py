"""Runner-side pieces a config asks for: hooks (one file each), the AMP
optimizer wrapper and ``mmuniformer.Runner`` (CPU data-parallel)."""
from ..datasets.video_faults import BadVideoError
from .amp import build_amp_optim_wrapper
from .hooks import (BadVideoHook, CheckpointHook, ExactResumeHook,
                    NonFiniteCheckHook, NonFiniteError, OfficialCheckpointHook,
                    Preempted, PreemptionHook, QuietLogsHook, RunLockHook,
                    SyncBuffersHook, WorkDirLockedError)
from .runner import Runner

__all__ = ['OfficialCheckpointHook', 'BadVideoHook', 'BadVideoError',
           'CheckpointHook', 'ExactResumeHook', 'NonFiniteCheckHook',
           'NonFiniteError', 'Preempted', 'PreemptionHook', 'QuietLogsHook',
           'RunLockHook', 'Runner', 'build_amp_optim_wrapper',
           'SyncBuffersHook', 'WorkDirLockedError']
