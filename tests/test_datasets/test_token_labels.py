"""Token-label transforms against hand-computed maps.

Each expected map below is written out by hand from the geometry of the
image op (mmcv's warps in pixel-index coordinates, carried to label cells
with the pixel-centre convention), not produced by the code under test; the
warps are also checked against the image itself (an image whose 2x2 pixel
blocks hold their cell's number, warped by the very same op).
"""
import math
import os.path as osp

import numpy as np
import pytest
import torch

from conftest import importorskip  # noqa: E402
importorskip('mmpretrain')

from mmuniformer.datasets.transforms.token_labels import (  # noqa: E402
    LoadTokenLabel, PackTokenLabelInputs, TokenLabelRandAugment,
    TokenLabelRandomFlip, TokenLabelRandomResizedCrop, token_label_path,
    token_label_target)

# a 4x4 map, top-1: scores 1..16 (row-major), class ids 20..35
SCORES = np.arange(1, 17, dtype=np.float32).reshape(4, 4)
IDS = np.arange(20, 36, dtype=np.float32).reshape(4, 4)


def _map():
    return np.stack([SCORES[None], IDS[None]]).copy()  # [2, 1, 4, 4]


def _block_image():
    """8x8 image: pixel (y, x) holds 1 + cell number of cell (y//2, x//2)
    in all channels (cells numbered row-major 0..15)."""
    cells = np.arange(16).reshape(4, 4) + 1
    img = np.kron(cells, np.ones((2, 2))).astype(np.uint8)
    return np.repeat(img[..., None], 3, axis=2)


def _results():
    return dict(img=_block_image(), token_label=_map(),
                img_shape=(8, 8), ori_shape=(8, 8))


def test_label_path_is_wnid_and_stem_cut_at_first_dot():
    assert token_label_path('/data/train/n01440764/n0144_10.x.JPEG',
                            '/labels') == '/labels/n01440764/n0144_10.pt'


def test_missing_file_names_the_expected_path(tmp_path):
    img = str(tmp_path / 'train' / 'cat' / 'a.png')
    with pytest.raises(FileNotFoundError) as err:
        LoadTokenLabel(str(tmp_path / 'labels'))(dict(img_path=img))
    assert osp.join(str(tmp_path / 'labels'), 'cat', 'a.pt') in str(err.value)
    assert img in str(err.value)


def test_load_casts_fp16_file_to_float32(tmp_path):
    folder = tmp_path / 'labels' / 'cat'
    folder.mkdir(parents=True)
    label = torch.tensor(_map(), dtype=torch.float16)
    torch.save(label, folder / 'a.pt')
    out = LoadTokenLabel(str(tmp_path / 'labels'))(
        dict(img_path=str(tmp_path / 'train' / 'cat' / 'a.png')))
    assert out['token_label'].dtype == np.float32
    np.testing.assert_array_equal(out['token_label'], _map())


def test_load_rejects_a_non_map_naming_the_file(tmp_path):
    folder = tmp_path / 'labels' / 'cat'
    folder.mkdir(parents=True)
    torch.save(torch.zeros(5, 4, 4), folder / 'a.pt')
    with pytest.raises(ValueError, match=r'a\.pt.*\[2, k, S, S\]'):
        LoadTokenLabel(str(tmp_path / 'labels'))(
            dict(img_path=str(tmp_path / 'train' / 'cat' / 'a.png')))


def test_horizontal_flip_flips_the_map_columns():
    out = TokenLabelRandomFlip(prob=1., direction='horizontal')(_results())
    expected_scores = np.array([[4, 3, 2, 1], [8, 7, 6, 5],
                                [12, 11, 10, 9], [16, 15, 14, 13]])
    np.testing.assert_array_equal(out['token_label'][0, 0], expected_scores)
    np.testing.assert_array_equal(out['token_label'][1, 0],
                                  expected_scores + 19)
    # the image got the same flip
    np.testing.assert_array_equal(out['img'][::2, ::2, 0],
                                  expected_scores)


def test_no_flip_leaves_the_map():
    out = TokenLabelRandomFlip(prob=0.)(_results())
    np.testing.assert_array_equal(out['token_label'], _map())


def _augment(policy):
    return TokenLabelRandAugment(policies=[policy], num_policies=1,
                                 magnitude_level=9)


def test_translate_quarter_width_moves_one_cell_right():
    out = _augment(dict(type='Translate', magnitude=0.25, prob=1.,
                        random_negative_prob=0., direction='horizontal',
                        pad_val=0))(_results())
    # offset 2 px = 1 cell; column 0 comes from outside: score 0, id of
    # the edge cell
    np.testing.assert_array_equal(out['token_label'][0, 0], np.array(
        [[0, 1, 2, 3], [0, 5, 6, 7], [0, 9, 10, 11], [0, 13, 14, 15]]))
    np.testing.assert_array_equal(out['token_label'][1, 0], np.array(
        [[20, 20, 21, 22], [24, 24, 25, 26], [28, 28, 29, 30],
         [32, 32, 33, 34]]))
    assert out['token_label_warps'] == [('Translate', 'horizontal', 0.25)]
    np.testing.assert_array_equal(out['img'][::2, ::2, 0],
                                  out['token_label'][0, 0])


def test_negative_vertical_translate_moves_one_cell_up():
    out = _augment(dict(type='Translate', magnitude=0.25, prob=1.,
                        random_negative_prob=1., direction='vertical',
                        pad_val=0))(_results())
    np.testing.assert_array_equal(out['token_label'][0, 0], np.array(
        [[5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16], [0, 0, 0, 0]]))
    np.testing.assert_array_equal(out['img'][::2, ::2, 0],
                                  out['token_label'][0, 0])


def test_rotate_90_is_clockwise_like_the_image():
    out = _augment(dict(type='Rotate', angle=90., prob=1.,
                        random_negative_prob=0., pad_val=0))(_results())
    # clockwise: the first column, read bottom-up, becomes the first row
    expected = np.array([[13, 9, 5, 1], [14, 10, 6, 2], [15, 11, 7, 3],
                         [16, 12, 8, 4]])
    np.testing.assert_array_equal(out['token_label'][0, 0], expected)
    np.testing.assert_array_equal(out['img'][::2, ::2, 0], expected)


def test_horizontal_shear_half():
    # x_dst = x_src + 0.5 y_src (pixels); in cells (c = (p + .5) / 2 - .5)
    # the source column is c - r / 2 - 1/8, rounded to the nearest cell
    out = _augment(dict(type='Shear', magnitude=0.5, prob=1.,
                        random_negative_prob=0., direction='horizontal',
                        pad_val=0))(_results())
    expected = np.array([[1, 2, 3, 4],
                         [0, 5, 6, 7],
                         [0, 9, 10, 11],
                         [0, 0, 13, 14]])
    np.testing.assert_array_equal(out['token_label'][0, 0], expected)
    np.testing.assert_array_equal(out['token_label'][1, 0], np.array(
        [[20, 21, 22, 23], [24, 24, 25, 26], [28, 28, 29, 30],
         [32, 32, 32, 33]]))


def test_photometric_op_and_unfired_op_leave_the_map():
    out = _augment(dict(type='Invert', prob=1.))(_results())
    np.testing.assert_array_equal(out['token_label'], _map())
    assert out['token_label_warps'] == []
    out = _augment(dict(type='Rotate', angle=90., prob=0.))(_results())
    np.testing.assert_array_equal(out['token_label'], _map())
    assert out['token_label_warps'] == []


def test_timm_increasing_policy_records_the_official_magnitudes():
    """The shipped policy (rand-m9-mstd0.5-inc1): only the geometric ops
    warp the map, with magnitudes in the official ranges at m ~ N(9, 0.5)
    clipped to [0, 10] (rotate <= 30 deg, shear <= 0.3, translate <= 0.45
    of the size), both signs; a sample without warps keeps its map."""
    aug = TokenLabelRandAugment(
        policies='timm_increasing', num_policies=2, magnitude_level=9,
        magnitude_std=0.5, hparams=dict(pad_val=0))
    limits = dict(Rotate=30., Shear=0.3, Translate=0.45)
    np.random.seed(3)
    values = []
    for _ in range(200):
        out = aug(_results())
        for name, _direction, value in out['token_label_warps']:
            assert 0 < abs(value) <= limits[name] + 1e-9, (name, value)
            values.append(value / limits[name])
        if not out['token_label_warps']:
            np.testing.assert_array_equal(out['token_label'], _map())
    values = np.abs(values)
    assert len(values) > 30
    # N(9, 0.5) / 10: almost all within 0.75..1
    assert 0.85 < values.mean() < 0.95, values.mean()


def test_crop_box_recorded_from_the_crop_made():
    # 8x8 image, pixel (y, x) = (y, x, 0); a 4x4 crop resized to 4x4 keeps
    # the pixels, so the crop's top-left pixel names the box
    img = np.stack(list(np.meshgrid(np.arange(8), np.arange(8), indexing="ij")) +
                   [np.zeros((8, 8), int)], axis=2).astype(np.uint8)
    crop = TokenLabelRandomResizedCrop(scale=4, crop_ratio_range=(0.25,
                                                                  0.25),
                                       aspect_ratio_range=(1., 1.))
    np.random.seed(0)
    for _ in range(5):
        out = crop(dict(img=img.copy(), token_label=_map()))
        top, left = int(out['img'][0, 0, 0]), int(out['img'][0, 0, 1])
        np.testing.assert_allclose(out['token_label_box'],
                                   [top / 8, left / 8, 0.5, 0.5])
        np.testing.assert_array_equal(out['token_label'], _map())


def test_flip_after_crop_is_refused():
    res = TokenLabelRandomResizedCrop(scale=4)(_results())
    with pytest.raises(RuntimeError, match='before the crop'):
        TokenLabelRandomFlip(prob=1.)(res)


def _smooth(p, k, eps=0.1):
    return p * (1 - eps + eps / k) + eps / k


def _softmax(v):
    e = [math.exp(x) for x in v]
    return [x / sum(e) for x in e]


# 2x2 map, top-1 per cell, 3 classes:
# (0,0) class 2 logit 2.0, (0,1) class 0 logit 1.0,
# (1,0) class 1 logit 3.0, (1,1) class 2 logit 0.5
LABEL = torch.tensor([[[[2.0, 1.0], [3.0, 0.5]]],
                      [[[2., 0.], [1., 2.]]]])


def test_target_full_box_hand_computed():
    t = token_label_target(LABEL, (0., 0., 1., 1.), num_classes=3,
                           label_size=2)
    assert t.shape == (5, 3)
    # crop column: mean logit per class over the 4 cells
    crop = _softmax([1.0 / 4, 3.0 / 4, 2.5 / 4])
    np.testing.assert_allclose(t[0], [_smooth(p, 3) for p in crop],
                               atol=1e-6)
    cells = [[0, 0, 2.0], [1.0, 0, 0], [0, 3.0, 0], [0, 0, 0.5]]
    for i, logits in enumerate(cells):
        np.testing.assert_allclose(
            t[1 + i], [_smooth(p, 3) for p in _softmax(logits)], atol=1e-6)
    np.testing.assert_allclose(t.sum(1), 1 + 0.1 / 3, atol=1e-6)


def test_target_box_order_official_mirrors_across_the_diagonal():
    right_half = (0., 0.5, 1., 0.5)  # (top, left, height, width)
    fixed = token_label_target(LABEL, right_half, 3, 1, box_order='xyxy')
    official = token_label_target(LABEL, right_half, 3, 1)
    # xyxy: the right column, cells (0,1) and (1,1)
    right = _softmax([1.0 / 2, 0., 0.5 / 2])
    np.testing.assert_allclose(fixed[0], [_smooth(p, 3) for p in right],
                               atol=1e-6)
    # official: the box read transposed = the bottom row, (1,0) and (1,1)
    bottom = _softmax([0., 3.0 / 2, 0.5 / 2])
    np.testing.assert_allclose(official[0], [_smooth(p, 3) for p in bottom],
                               atol=1e-6)
    with pytest.raises(ValueError, match='box_order'):
        token_label_target(LABEL, right_half, 3, 1, box_order='yxyx')


def test_target_rejects_ids_beyond_num_classes():
    with pytest.raises(ValueError, match='num_classes'):
        token_label_target(LABEL, (0., 0., 1., 1.), num_classes=2,
                           label_size=2)


def test_packer_puts_the_target_on_the_sample():
    res = dict(img=np.zeros((8, 8, 3), np.uint8), token_label=LABEL.numpy(),
               token_label_box=np.array([0., 0., 1., 1.]), gt_label=1)
    packed = PackTokenLabelInputs(num_classes=3, label_size=2)(res)
    sample = packed['data_samples']
    torch.testing.assert_close(
        sample.token_label_target,
        token_label_target(LABEL, (0., 0., 1., 1.), 3, 2))
    assert sample.gt_label.tolist() == [1]
    with pytest.raises(KeyError, match='LoadTokenLabel'):
        PackTokenLabelInputs(num_classes=3)(dict(img=np.zeros((8, 8, 3),
                                                              np.uint8)))
