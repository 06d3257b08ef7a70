"""``mmuniformer.checkpoint.report``: the image demo's load into a model
built without weights (every fitting tensor loaded, the rest reported; a
backbone-only file refused unless random heads are allowed), the
class-count hint, the checkpoint's class names and the dropped host
messages."""
import logging
import warnings

import pytest
import torch
from official_layout import TINY_DEPTHS, TINY_S, official_state
from torch import nn

from mmuniformer.checkpoint import (BackboneOnlyError,
                                    CheckpointMismatchError,
                                    checkpoint_dataset_meta,
                                    class_count_hint, load_with_report,
                                    quiet_host_weight_messages)
from mmuniformer.models import UniFormer


class _Head(nn.Module):

    def __init__(self, num_classes):
        super().__init__()
        self.pre = nn.Conv2d(512, 512, 1)
        self.conv_seg = nn.Conv2d(512, num_classes, 1)


class _Segmentor(nn.Module):
    """A backbone and a decode head, as an mmseg segmentor names them."""

    def __init__(self, num_classes=5):
        super().__init__()
        self.backbone = UniFormer(TINY_S)
        self.decode_head = _Head(num_classes)


def _save(model, path, meta=None):
    torch.save(dict(state_dict=model.state_dict(), meta=meta or {}), path)
    return str(path)


def test_whole_model_loads_and_says_so(tmp_path):
    torch.manual_seed(0)
    source = _Segmentor()
    path = _save(source, tmp_path / 'seg.pth')
    model = _Segmentor()
    ckpt, summary = load_with_report(model, path)
    total = len(model.state_dict())
    assert summary == f'loaded {total}/{total} tensors from {path} ' \
        '(seg checkpoint)'
    assert isinstance(ckpt, dict) and 'state_dict' in ckpt
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key


def test_backbone_only_file_is_refused_naming_the_file_and_the_rest(
        tmp_path):
    path = tmp_path / 'uniformer_tiny_in1k.pth'
    torch.save({'model': official_state('image_small_in1k',
                                        depths=TINY_DEPTHS)}, path)
    with pytest.raises(BackboneOnlyError) as err:
        load_with_report(_Segmentor(), str(path))
    text = str(err.value)
    assert isinstance(err.value, CheckpointMismatchError)
    assert str(path) in text and '(image checkpoint)' in text
    assert 'holds backbone weights only' in text
    assert 'none of its 4 other tensors (decode_head)' in text
    assert 'randomly initialised' in text
    assert 'checkpoint of the whole model' in text


def test_backbone_only_file_loads_with_random_heads_allowed(tmp_path):
    path = tmp_path / 'uniformer_tiny_in1k.pth'
    state = official_state('image_small_in1k', depths=TINY_DEPTHS)
    torch.save({'model': state}, path)
    model = _Segmentor()
    with pytest.warns(UserWarning, match='holds backbone weights only.*'
                      'randomly initialised'):
        _, summary = load_with_report(model, str(path),
                                      allow_random_heads=True)
    assert summary.startswith('loaded ') and '(image checkpoint)' in summary
    own = model.state_dict()
    assert torch.equal(own['backbone.patch_embed1.proj.weight'],
                       state['patch_embed1.proj.weight'])


def test_other_class_count_skips_the_head_with_the_option_to_set(tmp_path):
    path = _save(_Segmentor(num_classes=3), tmp_path / 'seg3.pth')
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter('always')
        _, summary = load_with_report(_Segmentor(num_classes=5), path)
    text = ' | '.join(str(w.message) for w in record)
    assert '2 tensors of' in text and 'were skipped' in text
    assert 'decode_head.conv_seg.weight (3, 512, 1, 1) vs (5, 512, 1, 1)' \
        in text
    assert '--cfg-options model.decode_head.num_classes=3' in text
    total = len(_Segmentor().state_dict())
    assert summary.startswith(f'loaded {total - 2}/{total} tensors')


def test_no_fitting_tensor_is_an_error(tmp_path):
    path = _save(_Segmentor(), tmp_path / 'seg.pth')

    class _Other(nn.Module):

        def __init__(self):
            super().__init__()
            self.backbone = nn.Linear(2, 2)

    with pytest.raises(CheckpointMismatchError, match='has no weight for '
                       'this model'):
        load_with_report(_Other(), path)


def test_class_count_hint_names_each_layer_and_cascade_stage():
    state = {
        'roi_head.bbox_head.0.fc_cls.weight': torch.zeros(4, 8),
        'roi_head.bbox_head.1.fc_cls.weight': torch.zeros(4, 8),
        'roi_head.mask_head.conv_logits.weight': torch.zeros(3, 8, 1, 1),
        'head.final_layer.weight': torch.zeros(17, 8, 1, 1),
        'neck.conv.weight': torch.zeros(2, 2),
    }
    hint = class_count_hint(list(state), state)
    assert 'trained with 3/17 classes (or keypoints)' in hint
    assert ('--cfg-options model.roi_head.bbox_head.0.num_classes=3 '
            'model.roi_head.bbox_head.1.num_classes=3 '
            'model.roi_head.mask_head.num_classes=3 '
            'model.head.out_channels=17 (or edit the config).') in hint
    assert class_count_hint(['neck.conv.weight'], state) == ''


def test_checkpoint_dataset_meta():
    assert checkpoint_dataset_meta(None) is None
    assert checkpoint_dataset_meta(dict(state_dict={})) is None
    assert checkpoint_dataset_meta(dict(meta=dict(dataset_meta=dict(
        CLASSES=('a', 'b'), palette=[[1, 2, 3]])))) == dict(
            classes=('a', 'b'), palette=[[1, 2, 3]])
    assert checkpoint_dataset_meta(dict(meta=dict(
        CLASSES=('a', 'b'), PALETTE=((1, 2, 3), (4, 5, 6))))) == dict(
            classes=['a', 'b'], palette=[[1, 2, 3], [4, 5, 6]])
    assert checkpoint_dataset_meta(dict(meta=dict(CLASSES=('a', )))) == \
        dict(classes=['a'])


def test_quiet_host_weight_messages_drops_only_those_two():
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    seen = []

    class _Keep(logging.Handler):

        def emit(self, record):
            seen.append(record.getMessage())

    handler = _Keep()
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter('always')
            with quiet_host_weight_messages():
                warnings.warn('weights is None, the model is random')
                warnings.warn('something else')
                logger.warning('Checkpoint is not loaded')
                logger.warning('another record')
    finally:
        logger.removeHandler(handler)
    assert [str(w.message) for w in record] == ['something else']
    assert seen == ['another record']
    # afterwards the filter is gone
    logger.addHandler(handler)
    try:
        logger.warning('Checkpoint is not loaded')
    finally:
        logger.removeHandler(handler)
    assert seen[-1] == 'Checkpoint is not loaded'


def test_a_file_whose_only_heads_do_not_fit_is_backbone_only(tmp_path):
    """Every non-backbone tensor of another shape: refused as well, with
    the shapes and the class-count option."""
    class _Small(_Segmentor):

        def __init__(self, num_classes=5):
            super().__init__()
            self.decode_head = nn.Module()
            self.decode_head.conv_seg = nn.Conv2d(512, num_classes, 1)

    path = _save(_Small(num_classes=3), tmp_path / 'seg3.pth')
    with pytest.raises(BackboneOnlyError) as err:
        load_with_report(_Small(), path)
    text = str(err.value)
    assert 'fits the backbone only' in text
    assert '--cfg-options model.decode_head.num_classes=3' in text
