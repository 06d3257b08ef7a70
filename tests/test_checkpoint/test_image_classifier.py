"""``build_image_classifier``: the classifier an official ImageNet file is
(sized from the file, token-labeling heads when it has them, the light
family), loaded completely or refused naming the keys. Files are built from
the official key lists, not from our modules."""
import pytest
import torch

from mmuniformer.checkpoint.classifier import build_image_classifier
from mmuniformer.checkpoint.convert import CheckpointMismatchError

from official_layout import (TINY_DEPTHS, official_checkpoint,  # noqa: E402
                             official_state)


def _save(tmp_path, ckpt, name):
    path = tmp_path / name
    torch.save(ckpt, path)
    return str(path)


def test_classic_file_sizes_the_head_and_loads_every_tensor(tmp_path):
    ckpt = official_checkpoint('image_small_in1k', num_classes=7)
    path = _save(tmp_path, ckpt, 'uniformer_small_in1k.pth')
    model = build_image_classifier(path, 'small')
    assert not model.training
    assert model.head.weight.shape[0] == 7
    state = model.state_dict()
    for key, value in ckpt['model'].items():
        assert torch.equal(state[key], value), key


def test_token_labeling_file_gets_its_aux_head(tmp_path):
    ckpt = official_checkpoint('image_small_tl', num_classes=5)
    path = _save(tmp_path, ckpt, 'uniformer_small_tl_224.pth')
    model = build_image_classifier(path, 'small', head_dim=32)
    assert torch.equal(model.state_dict()['aux_head.weight'],
                       ckpt['model']['aux_head.weight'])


@pytest.mark.parametrize('container', ['flat', 'model'])
def test_light_file_loads_strictly(tmp_path, container):
    # released files are flat state dicts; main_light.py saves {'model'}
    flat = official_state('light_image_xxs')
    ckpt = flat if container == 'flat' else dict(model=flat)
    path = _save(tmp_path, ckpt, 'uniformer_xxs_in1k.pth')
    model = build_image_classifier(path, 'xxs')
    assert type(model).__name__ == 'UniFormerLightImageClassifier'
    state = model.state_dict()
    for key, value in flat.items():
        assert torch.equal(state[key], value), key
    del flat['head_cls.weight']
    torch.save(flat, path)
    with pytest.raises(CheckpointMismatchError, match='head_cls'):
        build_image_classifier(path, 'xxs')


def test_wrong_arch_is_refused_naming_the_keys(tmp_path):
    ckpt = official_checkpoint('image_small_in1k', depths=TINY_DEPTHS)
    path = _save(tmp_path, ckpt, 'cut.pth')
    with pytest.raises(CheckpointMismatchError,
                       match=r'half-loaded.*missing from the checkpoint: '
                       r'blocks1\.'):
        build_image_classifier(path, 'small')


def test_missing_file_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth does not exist'):
        build_image_classifier(str(tmp_path / 'nope.pth'), 'small')


def test_none_is_random_imagenet(tmp_path):
    model = build_image_classifier('none', 'small')
    assert model.head.weight.shape[0] == 1000 and not model.training
