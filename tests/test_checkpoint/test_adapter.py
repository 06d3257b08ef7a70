"""Checkpoint adapter: every official wrapper/layout, inflation, errors.

Official-layout test weights come from the shared key lists
(``official_layout``, not from our modules), shortened to
``TINY_DEPTHS`` blocks per stage with the official widths."""
import pytest
import torch
from official_layout import (TINY_DEPTHS, TINY_L_LS, TINY_S, TINY_S_PLUS,
                             official_state)
from reference_uniformer import video_logits

from mmuniformer.models import UniFormer, UniFormer3D
from mmuniformer.checkpoint.adapter import (CheckpointMismatchError,
                                           head_dim_from_checkpoint,
                                           load_state_into, unwrap_checkpoint)


def imagenet_state(family='image_small_in1k'):
    return official_state(family, depths=TINY_DEPTHS, num_classes=10)


def video_state(num_classes=10):
    return official_state('video_small_k400', depths=TINY_DEPTHS,
                          num_classes=num_classes)


def dense_state():
    return official_state('det_small_backbone', depths=TINY_DEPTHS)


def _pretrained(cls, path, **kwargs):
    model = cls(TINY_S, init_cfg=dict(type='Pretrained', checkpoint=str(path)),
                **kwargs)
    model.init_weights()
    return model


def test_imagenet_checkpoint_is_inflated_by_averaging(tmp_path):
    state = imagenet_state()
    path = tmp_path / 'uniformer_tiny_in1k.pth'
    torch.save({'model': state}, path)
    model = _pretrained(UniFormer3D, path)
    got = model.state_dict()
    w2d = state['patch_embed1.proj.weight']
    assert got['patch_embed1.proj.weight'].shape == (64, 3, 3, 4, 4)
    for t in range(3):  # repeat over T_k=3, divided by 3 (not centred)
        torch.testing.assert_close(got['patch_embed1.proj.weight'][:, :, t],
                                   w2d / 3)
    torch.testing.assert_close(got['blocks1.0.attn.weight'][:, :, 2],
                               state['blocks1.0.attn.weight'] / 5)
    torch.testing.assert_close(got['blocks3.0.pos_embed.weight'][:, :, 0],
                               state['blocks3.0.pos_embed.weight'] / 3)
    torch.testing.assert_close(got['patch_embed2.proj.weight'][:, :, 0],
                               state['patch_embed2.proj.weight'])
    torch.testing.assert_close(got['norm.running_var'],
                               state['norm.running_var'])
    torch.testing.assert_close(got['blocks3.1.attn.qkv.weight'],
                               state['blocks3.1.attn.qkv.weight'])


def test_inflated_model_on_static_clip_equals_2d_model(tmp_path):
    """Where it holds (frames far from the zero-padded temporal borders, in
    the conv stages), a clip of identical frames through the inflated model
    equals the 2D model's computation on the frame."""
    state = imagenet_state()
    path = tmp_path / 'in1k.pth'
    torch.save({'model': state}, path)
    video = _pretrained(UniFormer3D, path, out_indices=(0, )).eval()
    image = _pretrained(UniFormer, path, out_indices=(0, )).eval()
    frame = torch.randn(1, 3, 64, 64)
    clip = frame.unsqueeze(2).repeat(1, 1, 32, 1, 1)
    with torch.no_grad():
        v = video.forward_stages(clip)[0]  # (1, 64, 16, 16, 16)
        i = image.forward_stages(frame)[0]  # (1, 64, 16, 16)
    for t in range(6, 10):
        torch.testing.assert_close(v[:, :, t], i, atol=1e-5, rtol=1e-4)
    assert not torch.allclose(v[:, :, 0], i, atol=1e-3)  # border differs


@pytest.mark.parametrize('layout', ['model_state', 'mmaction', 'plain',
                                    'module'])
def test_video_checkpoint_layouts_load_exactly(tmp_path, layout):
    state = video_state()
    if layout == 'model_state':
        ckpt = {'model_state': state, 'epoch': 3}
    elif layout == 'mmaction':
        ckpt = {'state_dict': {('cls_head.fc_cls.' + k[5:]
                                if k.startswith('head.') else 'backbone.' + k):
                               v for k, v in state.items()},
                'meta': {}}
    elif layout == 'plain':
        ckpt = dict(state)
    else:
        ckpt = {'model': {'module.' + k: v for k, v in state.items()}}
    path = tmp_path / 'ckpt.pth'
    torch.save(ckpt, path)
    model = _pretrained(UniFormer3D, path).eval()
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, state[key], msg=key)
    x = torch.randn(1, 3, 4, 32, 32)
    with torch.no_grad():
        feat = model(x)
        logits = torch.nn.functional.linear(feat.mean((2, 3, 4)),
                                            state['head.weight'],
                                            state['head.bias'])
    torch.testing.assert_close(logits, video_logits(x, state, 64),
                               atol=1e-4, rtol=1e-4)


def test_token_labeling_and_dense_checkpoints_into_2d(tmp_path):
    tl = imagenet_state('image_small_tl')
    assert 'aux_head.weight' in tl
    model = UniFormer(dict(TINY_S, head_dim=32))
    report = load_state_into(model, {'model': tl}, 'tl.pth')
    assert set(report['dropped']) >= {'head.weight', 'aux_head.bias',
                                      'norm.running_mean'}
    assert {k.split('.')[0] for k in report['kept_init']} == {
        'norm1', 'norm2', 'norm3', 'norm4'}
    dense = dense_state()
    dense['neck.lateral_convs.0.conv.weight'] = torch.zeros(1)
    pose = UniFormer(TINY_S, out_indices=(3, ))
    report = load_state_into(pose, {'state_dict': dense, 'meta': {}},
                             'det.pth')
    assert {k.split('.')[0] for k in report['dropped']} == {
        'norm1', 'norm2', 'norm3'}
    torch.testing.assert_close(pose.norm4.weight,
                               dense['backbone.norm4.weight'])


def test_layer_scale_and_conv_stem_checkpoints_load():
    for family, arch in (('image_small_plus_in1k', TINY_S_PLUS),
                         ('image_base_ls_in1k',
                          dict(TINY_S, layer_scale='global')),
                         ('image_large_ls_tl', TINY_L_LS)):
        state = imagenet_state(family)
        model = UniFormer(arch)
        report = load_state_into(model, {'model': state}, f'{family}.pth')
        loaded = 0
        for key, value in model.state_dict().items():
            if key in state:
                torch.testing.assert_close(value, state[key])
                loaded += 1
        # everything but head (2 or 4 with aux_head) and the final BN (5)
        extra = 4 if 'aux_head.weight' in state else 2
        assert loaded == report['loaded'] == len(state) - extra - 5


def test_wrong_family_is_an_error_naming_keys(tmp_path):
    resnet = {'state_dict': {'backbone.conv1.weight': torch.zeros(64, 3, 7, 7),
                             'backbone.bn1.weight': torch.zeros(64)}}
    with pytest.raises(CheckpointMismatchError) as err:
        load_state_into(UniFormer3D(TINY_S), resnet, 'resnet50.pth')
    msg = str(err.value)
    assert 'resnet50.pth' in msg and 'conv1' in msg
    assert 'missing from the checkpoint' in msg and 'blocks1.0' in msg


def test_missing_backbone_keys_is_an_error():
    state = video_state()
    for key in [k for k in state if k.startswith('blocks3.1.')]:
        del state[key]
    with pytest.raises(CheckpointMismatchError, match=r'blocks3\.1\.'):
        load_state_into(UniFormer3D(TINY_S), {'model_state': state}, 'x.pth')


def test_shape_mismatch_and_conv_stem_mismatch_are_errors():
    # L's widths (128, 192, 448, 640) into an S-width model
    state = imagenet_state('image_large_ls_tl')
    with pytest.raises(CheckpointMismatchError, match='shape mismatch'):
        load_state_into(UniFormer(dict(TINY_L_LS, embed_dims=TINY_S[
            'embed_dims'])), {'model': state}, 'wide.pth')
    plus = imagenet_state('image_small_plus_in1k')
    with pytest.raises(CheckpointMismatchError, match=r'patch_embed1\.proj'):
        load_state_into(UniFormer(TINY_S), {'model': plus}, 'splus.pth')


def test_unrecognised_container():
    with pytest.raises(CheckpointMismatchError, match='top-level keys'):
        unwrap_checkpoint({'epoch': 1, 'optimizer': {}}, 'odd.pth')


def test_head_dim_contradiction_is_an_error():
    state = video_state()
    ckpt = {'model_state': state, 'meta': {'uniformer': {'head_dim': 32}}}
    with pytest.raises(CheckpointMismatchError, match='head_dim=32'):
        load_state_into(UniFormer3D(TINY_S), ckpt, 'x.pth')
    assert head_dim_from_checkpoint({}, 'uniformer_small_tl_224.pth') == 32
    assert head_dim_from_checkpoint({}, 'uniformer_base_dim64_tl_224.pth') == 64
    assert head_dim_from_checkpoint({}, 'uniformer_small_in1k.pth') == 64
    assert head_dim_from_checkpoint({}, 'uniformer_large_ls_tl_384.pth') == 64
    assert head_dim_from_checkpoint({}, 'uniformer_small_plus_tl_224.pth') == 32
    assert head_dim_from_checkpoint({}, 'weights.pth') is None
    with pytest.raises(CheckpointMismatchError, match='head_dim=32'):
        load_state_into(UniFormer('small'), {'model': {}},
                        'uniformer_small_tl_224.pth')
