"""Buffers (BN statistics) averaged over ranks before every checkpoint."""
from mmengine.dist import all_reduce_params
from mmengine.hooks import SyncBuffersHook as MMEngineSyncBuffersHook

from ...registry import HOOKS
from ..utils import saves_after_iter


@HOOKS.register_module()
class SyncBuffersHook(MMEngineSyncBuffersHook):
    """mmengine's ``SyncBuffersHook`` that also averages the buffers (BN
    statistics) right before an iteration-based checkpoint is written.

    mmengine averages them only at epoch ends and before validation, so in an
    iteration-based loop (segmentation) a checkpoint saved at iteration ``i``
    held rank 0's statistics while the ranks went on with the averaged ones.
    Here they are averaged first (this hook runs at NORMAL priority, before
    ``CheckpointHook`` at VERY_LOW), so the saved file equals every rank.
    """

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if self.distributed and saves_after_iter(runner, self):
            all_reduce_params(runner.model.buffers(), op='mean')
