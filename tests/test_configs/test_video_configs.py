"""Video recognition configs: every file under configs/recognition loads,
its model and transforms build and its pipelines run on synthetic frames;
the official UniFormer experiments are pinned to the recipe table of the
reference (§7.3-7.4, zoo views §9.2-9.3)."""
import copy
import glob
import os
import os.path as osp
import re

import numpy as np
import pytest
from mmengine.config import Config

from conftest import REPO  # noqa: E402  (the repository root)
CONFIG_ROOT = osp.join(REPO, 'configs', 'recognition')
CONFIGS = sorted(
    path for path in glob.glob(osp.join(CONFIG_ROOT, '**', '*.py'),
                               recursive=True)
    if '_base_' not in osp.relpath(path, CONFIG_ROOT).split(os.sep))
UNI = osp.join(CONFIG_ROOT, 'uniformer')

# Official experiments (§7.4, effective values: config.yaml + run.sh):
# exp folder: (config file, arch, classes, frames, stride or None for
# segment sampling, init checkpoint, total videos per step, base lr (after
# the x4 shard scaling of b32x4_k600), epochs, warmup, drop path, seed).
OFFICIAL = {
    'uniformer_s8x8_k400': (
        'uniformer-small_imagenet1k-pre_8xb16-8x8x1-100e_kinetics400-rgb.py',
        'small', 400, 8, 8, 'uniformer_small_in1k', 128, 4e-4, 100, 10, 0.1,
        6666),
    'uniformer_s16x4_k400': (
        'uniformer-small_imagenet1k-pre_8xb4-16x4x1-110e_kinetics400-rgb.py',
        'small', 400, 16, 4, 'uniformer_small_in1k', 32, 1e-4, 110, 10, 0.1,
        6666),
    'uniformer_s16x8_k400': (
        'uniformer-small_imagenet1k-pre_8xb4-16x8x1-110e_kinetics400-rgb.py',
        'small', 400, 16, 8, 'uniformer_small_in1k', 32, 1e-4, 110, 10, 0.1,
        6666),
    'uniformer_s32x4_k400': (
        'uniformer-small_imagenet1k-pre_8xb4-32x4x1-110e_kinetics400-rgb.py',
        'small', 400, 32, 4, 'uniformer_small_in1k', 32, 1e-4, 110, 10, 0.1,
        6666),
    'uniformer_b8x8_k400': (
        'uniformer-base_imagenet1k-pre_8xb8-8x8x1-100e_kinetics400-rgb.py',
        'base', 400, 8, 8, 'uniformer_base_in1k', 64, 2e-4, 100, 10, 0.3,
        6666),
    'uniformer_b16x4_k400': (
        'uniformer-base_imagenet1k-pre_8xb5-16x4x1-110e_kinetics400-rgb.py',
        'base', 400, 16, 4, 'uniformer_base_in1k', 40, 1.25e-4, 110, 10, 0.3,
        6666),
    'uniformer_b16x8_k400': (
        'uniformer-base_imagenet1k-pre_8xb5-16x8x1-110e_kinetics400-rgb.py',
        'base', 400, 16, 8, 'uniformer_base_in1k', 40, 1.25e-4, 110, 10, 0.3,
        6666),
    'uniformer_b32x4_k400': (
        'uniformer-base_imagenet1k-pre_8xb4-32x4x1-110e_kinetics400-rgb.py',
        'base', 400, 32, 4, 'uniformer_base_in1k', 32, 1e-4, 110, 10, 0.3,
        6666),
    'uniformer_s16x4_k600': (
        'uniformer-small_imagenet1k-pre_8xb12-16x4x1-110e_kinetics600-rgb.py',
        'small', 600, 16, 4, 'uniformer_small_in1k', 96, 3e-4, 110, 10, 0.1,
        6666),
    'uniformer_s16x8_k600': (
        'uniformer-small_imagenet1k-pre_8xb4-16x8x1-110e_kinetics600-rgb.py',
        'small', 600, 16, 8, 'uniformer_small_in1k', 32, 1e-4, 110, 10, 0.1,
        6666),
    'uniformer_b16x4_k600': (
        'uniformer-base_imagenet1k-pre_8xb5-16x4x1-110e_kinetics600-rgb.py',
        'base', 600, 16, 4, 'uniformer_base_in1k', 40, 1.25e-4, 110, 10, 0.3,
        6666),
    'uniformer_b16x8_k600': (
        'uniformer-base_imagenet1k-pre_8xb4-16x8x1-110e_kinetics600-rgb.py',
        'base', 600, 16, 8, 'uniformer_base_in1k', 32, 1.25e-4, 110, 10, 0.3,
        6666),
    # 4 shards x 8 GPUs x 4 videos; lr 1e-4 per shard x 4 shards
    'uniformer_b32x4_k600': (
        'uniformer-base_imagenet1k-pre_32xb4-32x4x1-110e_kinetics600-rgb.py',
        'base', 600, 32, 4, 'uniformer_base_in1k', 128, 4e-4, 110, 10, 0.3,
        6666),
    'uniformer_s16_sthv1_prek400': (
        'uniformer-small_kinetics400-pre_8xb4-u16-60e_sthv1-rgb.py',
        'small', 174, 16, None, 'uniformer_small_k400_16x4', 32, 2e-4, 60, 5,
        0.2, 0),
    'uniformer_s16_sthv1_prek600': (
        'uniformer-small_kinetics600-pre_8xb4-u16-60e_sthv1-rgb.py',
        'small', 174, 16, None, 'uniformer_small_k600_16x4', 32, 2e-4, 60, 5,
        0.2, 0),
    'uniformer_s32_sthv1_prek400': (
        'uniformer-small_kinetics400-pre_8xb4-u32-60e_sthv1-rgb.py',
        'small', 174, 32, None, 'uniformer_small_k400_16x4', 32, 2e-4, 60, 5,
        0.2, 0),
    'uniformer_s32_sthv1_prek600': (
        'uniformer-small_kinetics600-pre_8xb4-u32-60e_sthv1-rgb.py',
        'small', 174, 32, None, 'uniformer_small_k600_16x4', 32, 2e-4, 60, 5,
        0.3, 0),
    'uniformer_s16_sthv2_prek400': (
        'uniformer-small_kinetics400-pre_8xb4-u16-50e_sthv2-rgb.py',
        'small', 174, 16, None, 'uniformer_small_k400_16x4', 32, 2e-4, 50, 5,
        0.3, 0),
    'uniformer_s16_sthv2_prek600': (
        'uniformer-small_kinetics600-pre_8xb4-u16-50e_sthv2-rgb.py',
        'small', 174, 16, None, 'uniformer_small_k600_16x4', 32, 2e-4, 50, 5,
        0.3, 0),
    'uniformer_s32_sthv2_prek400': (
        'uniformer-small_kinetics400-pre_8xb4-u32-50e_sthv2-rgb.py',
        'small', 174, 32, None, 'uniformer_small_k400_16x4', 32, 2e-4, 50, 5,
        0.3, 0),
    'uniformer_s32_sthv2_prek600': (
        'uniformer-small_kinetics600-pre_8xb4-u32-50e_sthv2-rgb.py',
        'small', 174, 32, None, 'uniformer_small_k600_16x4', 32, 2e-4, 50, 5,
        0.3, 0),
    'uniformer_b16_sthv1_prek400': (
        'uniformer-base_kinetics400-pre_8xb5-u16-60e_sthv1-rgb.py',
        'base', 174, 16, None, 'uniformer_base_k400_16x4', 40, 2.5e-4, 60, 5,
        0.6, 6666),
    'uniformer_b16_sthv1_prek600': (
        'uniformer-base_kinetics600-pre_8xb5-u16-60e_sthv1-rgb.py',
        'base', 174, 16, None, 'uniformer_base_k600_16x4', 40, 2.5e-4, 60, 5,
        0.5, 6666),
    'uniformer_b32_sthv1_prek400': (
        'uniformer-base_kinetics400-pre_8xb4-u32-60e_sthv1-rgb.py',
        'base', 174, 32, None, 'uniformer_base_k400_16x4', 32, 2e-4, 60, 5,
        0.6, 6666),
    'uniformer_b32_sthv1_prek600': (
        'uniformer-base_kinetics600-pre_8xb4-u32-60e_sthv1-rgb.py',
        'base', 174, 32, None, 'uniformer_base_k600_16x4', 32, 2e-4, 60, 5,
        0.6, 6666),
    'uniformer_b16_sthv2_prek400': (
        'uniformer-base_kinetics400-pre_8xb5-u16-50e_sthv2-rgb.py',
        'base', 174, 16, None, 'uniformer_base_k400_16x4', 40, 2.5e-4, 50, 5,
        0.4, 6666),
    'uniformer_b16_sthv2_prek600': (
        'uniformer-base_kinetics600-pre_8xb5-u16-50e_sthv2-rgb.py',
        'base', 174, 16, None, 'uniformer_base_k600_16x4', 40, 2.5e-4, 50, 5,
        0.5, 6666),
    'uniformer_b32_sthv2_prek400': (
        'uniformer-base_kinetics400-pre_8xb4-u32-50e_sthv2-rgb.py',
        'base', 174, 32, None, 'uniformer_base_k400_16x4', 32, 2e-4, 50, 5,
        0.5, 6666),
    'uniformer_b32_sthv2_prek600': (
        'uniformer-base_kinetics600-pre_8xb4-u32-50e_sthv2-rgb.py',
        'base', 174, 32, None, 'uniformer_base_k600_16x4', 32, 2e-4, 50, 5,
        0.5, 6666),
    'uniformer_s16x4_ucf101_prek400': (
        'uniformer-small_kinetics400-pre_8xb16-16x4x1-25e_'
        'ucf101-split1-rgb.py',
        'small', 101, 16, 4, 'uniformer_small_k400_16x4', 128, 5e-5, 25, 5,
        0.2, 6666),
    # the official yaml says 101 classes; HMDB51 has 51
    'uniformer_s16x4_hmdb51_prek400': (
        'uniformer-small_kinetics400-pre_8xb16-16x4x1-25e_'
        'hmdb51-split1-rgb.py',
        'small', 51, 16, 4, 'uniformer_small_k400_16x4', 128, 5e-5, 25, 5,
        0.2, 6666),
}
# Per dataset (§7.3): horizontal flip, RandAugment (num_ops, magnitude),
# test views (clips, crops), repeated augmentation x2 (dropped for sthv1:
# RepeatAugDataset reads videos only), data folder, train annotations.
PROTOCOL = {
    'k400': dict(flip=True, randaug=(4, 7), views=(4, 1), repeat=True,
                 root='data/kinetics400/',
                 ann='kinetics400_train_list_videos.txt'),
    'k600': dict(flip=True, randaug=(4, 7), views=(4, 1), repeat=True,
                 root='data/kinetics600/',
                 ann='kinetics600_train_list_videos.txt'),
    'sthv1': dict(flip=False, randaug=(4, 7), views=(1, 3), repeat=False,
                  root='data/sthv1/', ann='sthv1_train_list_rawframes.txt'),
    'sthv2': dict(flip=False, randaug=(4, 7), views=(1, 3), repeat=True,
                  root='data/sthv2/', ann='sthv2_train_list_videos.txt'),
    'ucf101': dict(flip=True, randaug=(2, 5), views=(5, 3), repeat=True,
                   root='data/ucf101/',
                   ann='ucf101_train_split_1_videos.txt'),
    'hmdb51': dict(flip=True, randaug=(2, 5), views=(5, 3), repeat=True,
                   root='data/hmdb51/',
                   ann='hmdb51_train_split_1_videos.txt'),
}
SAMPLERS = ('SampleFrames', 'UniformSample')
IO_TRANSFORMS = ('DecordInit', 'DecordDecode', 'RawFrameDecode',
                 'mmuniformer.PyAVSeekInit', 'mmuniformer.PyAVSeekDecode',
                 'mmuniformer.DecordInit', 'mmuniformer.DecordDecode')

_CFGS = {}


def load(path):
    if path not in _CFGS:
        _CFGS[path] = Config.fromfile(path)
    return copy.deepcopy(_CFGS[path])


@pytest.fixture(scope='module')
def registries():
    from mmengine.registry import init_default_scope
    init_default_scope('mmaction')
    import mmuniformer  # noqa: F401  (registers mmuniformer.UniFormer3D)
    from mmaction.registry import DATASETS, MODELS, TRANSFORMS
    return MODELS, TRANSFORMS, DATASETS


def pipelines(cfg):
    return {split: cfg[f'{split}_dataloader'].dataset.pipeline
            for split in ('train', 'val', 'test')}


def find(pipeline, *types):
    return [t for t in pipeline if t.type in types]


def rel(path):
    return osp.relpath(path, CONFIG_ROOT)


def test_configs_found():
    names = {osp.basename(p) for p in CONFIGS}
    missing = [v[0] for v in OFFICIAL.values() if v[0] not in names]
    assert not missing, f'official experiments without a config: {missing}'
    assert len(OFFICIAL) == 31
    assert len({v[0] for v in OFFICIAL.values()}) == 31


@pytest.mark.parametrize('path', CONFIGS, ids=rel)
def test_config_builds(path, registries):
    from mmengine.registry import FUNCTIONS
    models, transforms, datasets = registries
    cfg = load(path)
    cfg.model.backbone.init_cfg = None
    model = models.build(cfg.model)
    assert model.cls_head.num_classes == cfg.model.cls_head.num_classes
    for split, pipeline in pipelines(cfg).items():
        assert pipeline, f'{split} pipeline is empty'
        for transform in pipeline:
            transforms.build(transform)
        # the dataset accepts its arguments (annotations are not read)
        loader = cfg[f'{split}_dataloader']
        datasets.build(dict(loader.dataset, lazy_init=True))
        if 'collate_fn' in loader:
            assert FUNCTIONS.get(loader.collate_fn.type) is not None


def run_without_io(pipeline, transforms, start_index, seed=0):
    """Run a pipeline on synthetic 240x320 frames, skipping decoding."""
    rng = np.random.default_rng(seed)
    results = dict(filename='synthetic', label=0, total_frames=150,
                   start_index=start_index, modality='RGB')
    for transform in pipeline:
        if transform.type in IO_TRANSFORMS:
            continue
        results = transforms.build(copy.deepcopy(transform))(results)
        if transform.type in SAMPLERS:
            inds = results['frame_inds']
            assert inds.min() >= start_index
            assert inds.max() < start_index + results['total_frames']
            results['imgs'] = list(
                rng.integers(0, 256, (inds.size, 240, 320, 3), np.uint8))
            results['original_shape'] = results['img_shape'] = (240, 320)
    return results['inputs']


_RAN = {}


@pytest.mark.parametrize('path', CONFIGS, ids=rel)
def test_pipelines_run(path, registries):
    """Each pipeline produces (clips x crops, 3, frames, H, W) inputs; the
    transforms run only once for pipelines shared by several configs."""
    transforms = registries[1]
    cfg = load(path)
    for split, pipeline in pipelines(cfg).items():
        start = 1 if 'Rawframe' in cfg[f'{split}_dataloader'].dataset.type \
            else 0
        key = (repr(pipeline), start)
        if key not in _RAN:
            _RAN[key] = tuple(run_without_io(pipeline, transforms, start)
                              .shape)
        shape = _RAN[key]
        sampler = find(pipeline, *SAMPLERS)[0]
        crops = 3 if find(pipeline, 'ThreeCrop', 'TenCrop') else 1
        crops = 10 if find(pipeline, 'TenCrop') else crops
        assert shape[:3] == (sampler.num_clips * crops, 3, sampler.clip_len)


def official_cases():
    for exp, row in OFFICIAL.items():
        dataset = re.search(r'_(k400|k600|sthv1|sthv2|ucf101|hmdb51)',
                            exp).group(1)
        yield pytest.param(exp, dataset, *row, id=exp)


@pytest.mark.parametrize(
    'exp,dataset,name,arch,num_classes,frames,stride,init,total,lr,epochs,'
    'warmup,drop_path,seed', list(official_cases()))
def test_official_recipe(exp, dataset, name, arch, num_classes, frames,
                         stride, init, total, lr, epochs, warmup, drop_path,
                         seed):
    cfg = load(osp.join(UNI, name))
    proto = PROTOCOL[dataset]

    # model
    backbone = cfg.model.backbone
    assert backbone.type == 'mmuniformer.UniFormer3D'
    assert backbone.arch == arch
    assert backbone.drop_path_rate == pytest.approx(drop_path)
    assert backbone.init_cfg.type == 'Pretrained'
    assert backbone.init_cfg.checkpoint == f'checkpoints/{init}.pth'
    assert cfg.model.cls_head.num_classes == num_classes
    assert cfg.model.cls_head.dropout_ratio == 0
    assert cfg.model.cls_head.label_smooth_eps == pytest.approx(0.1)
    augments = cfg.model.data_preprocessor.blending.augments
    assert [a.type for a in augments] == ['MixupBlending', 'CutmixBlending']
    assert [a.num_classes for a in augments] == [num_classes] * 2

    # schedule
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(lr)
    assert cfg.optim_wrapper.optimizer.weight_decay == pytest.approx(0.05)
    assert cfg.train_cfg.max_epochs == epochs
    warm, cosine = cfg.param_scheduler
    assert warm.type == 'LinearLR' and cosine.type == 'CosineAnnealingLR'
    assert (warm.begin, warm.end) == (0, warmup)
    assert warm.start_factor * lr == pytest.approx(1e-6)
    assert (cosine.begin, cosine.end) == (warmup, epochs)
    assert cosine.T_max == epochs - warmup
    assert cosine.eta_min == pytest.approx(1e-6)
    assert cfg.randomness.seed == seed

    # batch: per-GPU videos x GPUs (from the file name) = official total
    gpus, per_gpu = map(int, re.search(r'_(\d+)xb(\d+)-', name).groups())
    assert cfg.train_dataloader.batch_size == per_gpu
    assert gpus * per_gpu == total
    assert cfg.auto_scale_lr.base_batch_size == total
    assert not cfg.auto_scale_lr.enable

    # data
    train_set = cfg.train_dataloader.dataset
    assert osp.basename(train_set.ann_file) == proto['ann']
    for split in ('train', 'val', 'test'):
        dataset = cfg[f'{split}_dataloader'].dataset
        assert dataset.ann_file.startswith(proto['root']), split
        (prefix, ) = dataset.data_prefix.values()
        assert prefix.startswith(proto['root']), split
    if proto['repeat']:
        # MMAction2's, accepting the PyAV decoders (issue 19)
        assert train_set.type == 'mmuniformer.RepeatAugDataset'
        assert train_set.num_repeats == 2 and train_set.sample_once
        assert cfg.train_dataloader.collate_fn.type == 'repeat_pseudo_collate'
    else:
        assert not train_set.type.endswith('RepeatAugDataset')
    pipes = pipelines(cfg)
    for split, pipeline in pipes.items():
        (sampler, ) = find(pipeline, *SAMPLERS)
        assert sampler.clip_len == frames, split
        if stride is None:
            assert sampler.type == 'UniformSample', split
        else:
            assert sampler.type == 'SampleFrames', split
            assert sampler.frame_interval == stride, split
        if split == 'train':
            assert sampler.num_clips == 1
            assert not sampler.get('test_mode', False)
        else:
            assert sampler.test_mode
    flips = find(pipes['train'], 'Flip')
    assert bool(flips) == proto['flip']
    assert all(f.flip_ratio == 0.5 and not f.get('flip_label_map')
               for f in flips)
    # torchvision's RandAugment draws on whole clips (issue 19)
    (randaug, ) = find(pipes['train'], 'mmuniformer.ClipRandAugment')
    assert randaug.interpolation == 2  # bilinear, as the stock wrapper
    assert (randaug.num_ops, randaug.magnitude) == proto['randaug']
    assert randaug.num_magnitude_bins == 11  # timm's m counts tenths
    (crop, ) = find(pipes['train'], 'RandomResizedCrop')
    assert tuple(crop.area_range) == (0.08, 1.)
    (erase, ) = find(pipes['train'], 'RandomErasing')
    assert erase.erase_prob == pytest.approx(0.25)
    assert find(pipes['train'], 'Resize')[-1].scale == (224, 224)

    # views: val 1 clip x 1 centre crop, test as reported by the zoo
    clips, crops = proto['views']
    (test_sampler, ) = find(pipes['test'], *SAMPLERS)
    assert test_sampler.num_clips == clips
    assert find(pipes['val'], *SAMPLERS)[0].num_clips == 1
    assert find(pipes['val'], 'CenterCrop')[0].crop_size == 224
    test_crop = 'ThreeCrop' if crops == 3 else 'CenterCrop'
    (crop, ) = find(pipes['test'], 'ThreeCrop', 'CenterCrop', 'TenCrop')
    assert crop.type == test_crop and crop.crop_size == 224
    # short side 224 before the test crops (see kinetics400_dense.py)
    assert find(pipes['test'], 'Resize')[0].scale == (-1, 224)
    assert cfg.model.cls_head.average_clips == 'score'


def test_headline_alias_matches_recipe():
    alias = load(osp.join(CONFIG_ROOT, 'uniformer_b_sthv2.py'))
    target = load(osp.join(UNI, OFFICIAL['uniformer_b16_sthv2_prek400'][0]))
    for key in ('model', 'optim_wrapper', 'param_scheduler', 'train_cfg',
                'train_dataloader', 'val_dataloader', 'test_dataloader',
                'randomness', 'auto_scale_lr'):
        assert alias[key] == target[key], key
