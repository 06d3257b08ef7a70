"""The light ImageNet configs in MMPretrain: an official-layout
``uniformer_{xxs,xs}_<res>_in1k.pth`` (flat state dict, names and shapes
from the shared key lists) loaded as shipped through the configs'
``OfficialCheckpointHook`` with ``strict=True`` gives the logits of the
functional reference of the official forward (tests/reference_light.py);
training returns the official two-branch loss."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from conftest import importorskip  # noqa: E402
importorskip('mmpretrain')
pytestmark = pytest.mark.usefixtures('one_thread')

from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner.checkpoint import _load_checkpoint_to_model  # noqa
from mmpretrain.structures import DataSample  # noqa: E402

from conftest import importorskip, REPO  # noqa: E402
from tests.official_layout import official_state  # noqa: E402
from tests.reference_light import image_logits  # noqa: E402

from mmuniformer.engine.hooks import OfficialCheckpointHook  # noqa: E402

CFG_DIR = osp.join(REPO, 'configs', 'classification', 'uniformer')
# config -> official layout (every light ImageNet config)
LIGHT = {
    'uniformer-light-xxs_8xb512_in1k-128px': 'xxs',
    'uniformer-light-xxs_8xb512_in1k-160px': 'xxs',
    'uniformer-light-xxs_8xb512_in1k-192px': 'xxs',
    'uniformer-light-xxs_8xb512_in1k-224px': 'xxs',
    'uniformer-light-xs_8xb512_in1k-192px': 'xs',
    'uniformer-light-xs_8xb512_in1k-224px': 'xs',
}
RUN = ['uniformer-light-xxs_8xb512_in1k-160px',
       'uniformer-light-xs_8xb512_in1k-192px']


class _Runner:
    def __init__(self, model):
        self.model = model


def _build(name):
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(osp.join(CFG_DIR, name + '.py'))
    if cfg.get('custom_imports'):
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**cfg.custom_imports)
    init_default_scope('mmpretrain')
    return MODELS.build(cfg.model).eval(), cfg


@pytest.mark.parametrize('name', RUN)
def test_official_light_file_as_shipped_gives_official_logits(name):
    variant = LIGHT[name]
    state = official_state(f'light_image_{variant}')
    model, _ = _build(name)
    ckpt = dict(state)  # the release: a flat state dict
    OfficialCheckpointHook().after_load_checkpoint(_Runner(model), ckpt)
    _load_checkpoint_to_model(model, ckpt, strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        got = model(x, mode='tensor')
        want, want_cls = image_logits(x, state, variant, with_cls=True)
        feats = model.backbone(x)
        got_cls = model.head.head_cls(model.head.norm_cls(feats[1]))
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(got_cls, want_cls, atol=1e-4, rtol=1e-4)


def test_every_light_config_builds_its_variant():
    for name, variant in LIGHT.items():
        model, cfg = _build(name)
        assert model.backbone.arch['depths'] == {
            'xxs': (2, 5, 8, 2), 'xs': (3, 5, 9, 3)}[variant], name
        assert type(model.head).__name__ == 'LightClsHead'
        assert cfg.model.neck is None


def test_training_loss_is_half_head_half_head_cls():
    model, _ = _build('uniformer-light-xxs_8xb512_in1k-128px')
    head = model.head
    feats = (torch.randn(2, 448, 2, 2), torch.randn(2, 448))
    samples = [DataSample().set_gt_label(i) for i in (3, 7)]
    losses = head.loss(feats, samples)
    ce = torch.nn.functional.cross_entropy
    # the configs' LabelSmoothLoss 0.1 ('original'): (1 - e) one-hot + e / K
    target = torch.full((2, 1000), 0.1 / 1000)
    target[0, 3] += 0.9
    target[1, 7] += 0.9
    main = head.fc(feats[0].flatten(2).mean(-1))
    side = head.head_cls(head.norm_cls(feats[1]))
    assert losses['loss_head'].item() == pytest.approx(
        0.5 * ce(main, target).item(), rel=1e-5)
    assert losses['loss_head_cls'].item() == pytest.approx(
        0.5 * ce(side, target).item(), rel=1e-5)
