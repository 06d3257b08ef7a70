"""A config's model as it is counted and exported, and the forwards that
are counted or exported.

``tools/analysis_tools/get_flops.py`` and ``tools/deployment/export_onnx.py``
both build the model of a host config without pretrained init, activation
checkpointing or SyncBN (:func:`build_plain_model`), and run it through one
of the wrappers below: a module whose ``model`` attribute is the built model
and whose ``forward`` takes one tensor, the part of the model that is
counted (or exported) for its kind.
"""
import copy
import importlib
from typing import Callable, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

# default_scope -> the module holding that host's MODELS registry
HOST_REGISTRIES = {
    'mmaction': 'mmaction.registry',
    'mmdet': 'mmdet.registry',
    'mmseg': 'mmseg.registry',
    'mmpose': 'mmpose.registry',
    'mmpretrain': 'mmpretrain.registry',
}
SYNC_BN_TYPES = ('SyncBN', 'MMSyncBN', 'NaiveSyncBN')


# --------------------------------------------------------------------------
# building
# --------------------------------------------------------------------------
def _walk(node, fn: Callable[[dict], None]) -> None:
    """Apply ``fn`` to every dict of a nested config, depth first."""
    if isinstance(node, dict):
        fn(node)
        for value in node.values():
            _walk(value, fn)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _walk(value, fn)


def _plain(node: dict) -> None:
    if 'with_cp' in node:
        node['with_cp'] = False
    if node.get('type') in SYNC_BN_TYPES:
        node['type'] = 'BN'
    init_cfg = node.get('init_cfg')
    if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
        node['init_cfg'] = None
    if node.get('pretrained') is not None:
        node['pretrained'] = None


def prepare_config(cfg) -> dict:
    """A copy of ``cfg.model`` to count or export: activation checkpointing
    off (``with_cp=False``), no pretrained init (``init_cfg`` of type
    ``Pretrained`` and ``pretrained`` set to None) and BN instead of
    SyncBN, at every level.

    Args:
        cfg (mmengine.Config): the config; it is not modified.

    Returns:
        dict: the model config.
    """
    model_cfg = copy.deepcopy(cfg.model)
    _walk(model_cfg, _plain)
    return model_cfg


def infer_scope(cfg) -> str:
    """The host a config belongs to: its ``default_scope`` when that is
    one of :data:`HOST_REGISTRIES`, else the prefix of its model type
    (``'mmdet.MaskRCNN'`` -> ``'mmdet'``).

    Args:
        cfg (mmengine.Config): the config.

    Returns:
        str: a key of :data:`HOST_REGISTRIES`.

    Raises:
        ValueError: when neither tells, naming both values and the scopes
            to choose from.
    """
    scope = cfg.get('default_scope')
    if scope in HOST_REGISTRIES:
        return scope
    model_type = str(cfg.model.get('type', ''))
    for prefix in HOST_REGISTRIES:
        if model_type.startswith(prefix + '.'):
            return prefix
    raise ValueError(
        f'cannot tell the host of the config (default_scope {scope!r}, '
        f'model {model_type!r}): set default_scope to one of '
        f'{", ".join(HOST_REGISTRIES)} (get_flops.py: or pass --scope)')


def build_plain_model(cfg, scope: Optional[str] = None
                      ) -> Tuple[str, nn.Module]:
    """Build :func:`prepare_config`'s model with its host's registry, in
    that host's default scope.

    Args:
        cfg (mmengine.Config): the config.
        scope (str, optional): the host, a key of :data:`HOST_REGISTRIES`.
            Defaults to None (:func:`infer_scope`).

    Returns:
        tuple: ``(scope, model)``.
    """
    from mmengine.registry import init_default_scope
    scope = scope or infer_scope(cfg)
    init_default_scope(scope)
    registry = importlib.import_module(HOST_REGISTRIES[scope]).MODELS
    return scope, registry.build(prepare_config(cfg))


# --------------------------------------------------------------------------
# forwards: what is counted / exported for each kind of model
# --------------------------------------------------------------------------
class TracedForward(nn.Module):
    """Base of the wrappers: holds the model as ``self.model``.

    Args:
        model (nn.Module): the built model.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model


class ImageForward(TracedForward):
    """``model(x)``: a plain module, e.g. ``UniFormerImageClassifier``."""

    def forward(self, x):
        return self.model(x)


class RecognizerForward(TracedForward):
    """``(B, 3, T, H, W)`` -> class scores ``(B, num_classes)``: an
    MMAction2 recognizer's backbone, neck and head, without its data
    samples and multi-view averaging (one view per row)."""

    def forward(self, x):
        model = self.model
        feats = model.backbone(x)
        if getattr(model, 'with_neck', False):
            feats, _ = model.neck(feats)
        return model.cls_head(feats)


class SegmentorForward(TracedForward):
    """An MMSegmentation segmentor's backbone, neck and decode head, the
    logits resized (bilinear) to the input size; no auxiliary head."""

    def forward(self, x):
        head = self.model.decode_head
        logits = head.forward(self.model.extract_feat(x))
        return F.interpolate(logits, size=x.shape[2:], mode='bilinear',
                             align_corners=head.align_corners)


class PoseForward(TracedForward):
    """An MMPose estimator's ``_forward`` (backbone, neck, head)."""

    def forward(self, x):
        return self.model._forward(x)


class ClassifierForward(TracedForward):
    """An MMPretrain classifier in ``mode='tensor'``."""

    def forward(self, x):
        return self.model(x, mode='tensor')


def dummy_proposals(num: int, height: int, width: int) -> torch.Tensor:
    """``num`` fixed (seeded), valid ``(x1, y1, x2, y2)`` boxes inside an
    image of ``height`` x ``width``.

    Args:
        num (int): number of boxes.
        height (int): image height.
        width (int): image width.

    Returns:
        torch.Tensor: ``(num, 4)`` boxes.
    """
    gen = torch.Generator().manual_seed(0)
    xy = torch.rand(num, 2, generator=gen) * torch.tensor([width, height]) / 2
    wh = (torch.rand(num, 2, generator=gen) * 0.5 + 0.05) * torch.tensor(
        [width, height])
    return torch.cat([xy, xy + wh], dim=1)


class DetectorForward(TracedForward):
    """The official mmdet 2.x ``forward_dummy`` (what the Swin / UniFormer
    ``get_flops`` traced), on the mmdet 3.x modules: backbone, neck, RPN
    head, the bbox head(s) on ``num_proposals`` fixed boxes and the mask
    head(s) on the first ``num_mask_rois`` of them, every cascade stage on
    the same boxes. A detector without RoI head runs ``_forward``.

    Args:
        model (nn.Module): the detector.
        num_proposals (int): boxes fed to the bbox head(s). Defaults to
            1000.
        num_mask_rois (int): boxes fed to the mask head(s). Defaults to
            100.
    """

    def __init__(self, model: nn.Module, num_proposals: int = 1000,
                 num_mask_rois: int = 100):
        super().__init__(model)
        self.num_proposals = num_proposals
        self.num_mask_rois = num_mask_rois

    def forward(self, x):
        model = self.model
        if not getattr(model, 'with_roi_head', False):
            return model._forward(x)
        from mmdet.structures.bbox import bbox2roi
        feats = model.extract_feat(x)
        outs = []
        if model.with_rpn:
            outs.append(model.rpn_head(feats))
        proposals = dummy_proposals(self.num_proposals, *x.shape[2:]).to(x)
        rois = bbox2roi([proposals])
        mask_rois = rois[:self.num_mask_rois]
        roi_head = model.roi_head
        stages = getattr(roi_head, 'num_stages', None)
        for stage in (range(stages) if stages else [None]):
            args = () if stage is None else (stage, )
            if roi_head.with_bbox:
                res = roi_head._bbox_forward(*args, feats, rois)
                outs += [res['cls_score'], res['bbox_pred']]
            if roi_head.with_mask:
                res = roi_head._mask_forward(*args, feats, mask_rois)
                outs.append(res['mask_preds'])
        return outs


# the wrapper of each host's models (detectors take their box counts)
HOST_FORWARDS = {
    'mmaction': RecognizerForward,
    'mmdet': DetectorForward,
    'mmseg': SegmentorForward,
    'mmpose': PoseForward,
    'mmpretrain': ClassifierForward,
}
