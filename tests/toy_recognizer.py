"""A Runner around a tiny recognizer with the key names of MMAction2's
(``backbone.*``, ``cls_head.fc_cls.*``) but no host import, so that the
Runner's loading path (``load_from``, ``--resume``, the hooks) is tested
without MMAction2."""
import torch
from mmengine.model import BaseModel
from torch import nn

from mmuniformer.models import UniFormer3D

# official S widths with the shortened depths of ``official_layout``
ARCH = dict(depths=(1, 1, 4, 1), embed_dims=(64, 128, 320, 512), head_dim=64)


class _Head(nn.Module):

    def __init__(self, num_classes):
        super().__init__()
        self.fc_cls = nn.Linear(512, num_classes)


class ToyRecognizer(BaseModel):
    """UniFormer3D + mean pool + linear head."""

    def __init__(self, num_classes=400, arch=None):
        super().__init__()
        self.backbone = UniFormer3D(arch=dict(arch or ARCH))
        self.cls_head = _Head(num_classes)

    def forward(self, inputs, labels=None, mode='tensor'):
        feat = self.backbone(inputs)
        feat = feat[-1] if isinstance(feat, (tuple, list)) else feat
        return self.cls_head.fc_cls(feat.mean((2, 3, 4)))


def toy_recognizer_runner(work_dir, load_from=None, resume=False,
                          num_classes=400, custom_hooks=None):
    """A test-only Runner (no loops) that loads ``load_from`` through the
    configs' ``OfficialCheckpointHook`` (or ``custom_hooks``)."""
    from mmengine.runner import Runner
    import mmuniformer  # noqa: F401  (registers the hooks)
    return Runner(
        model=ToyRecognizer(num_classes),
        work_dir=str(work_dir),
        load_from=None if load_from is None else str(load_from),
        resume=resume,
        custom_hooks=custom_hooks or [
            dict(type='mmuniformer.OfficialCheckpointHook')],
        default_scope='mmengine',
        experiment_name=f'toy_recognizer_{id(work_dir)}')


def head_weight(model):
    return model.cls_head.fc_cls.weight.detach().clone()


__all__ = ['ARCH', 'ToyRecognizer', 'toy_recognizer_runner', 'head_weight',
           'torch']
