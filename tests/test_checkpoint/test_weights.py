"""The weights table against the metafiles (one source of truth: every URL
a metafile gives is the table's, and the reverse) and against facts
transcribed from the official zoo (reference sections 8-9,
uniformer_light.md section 6)."""
import re
from pathlib import Path

import pytest
import yaml

from mmuniformer.checkpoint.weights import (FAMILIES, LABEL_ORDERS, WEIGHTS,
                                            entries_for_config,
                                            entry_for_file, get_weights)
from mmuniformer.models.arch import ARCH_ZOO

ROOT = Path(__file__).resolve().parents[2]
METAFILES = sorted(ROOT.glob('configs/*/uniformer/metafile.yml'))
TEST_ONLY = re.compile(r'_(g|h32|w32)\.py$')
# exactly these hub files (Sense-X/uniformer_video) are known to exist
HUB = {'uniformer_small_k400_16x8.pth', 'uniformer_small_k600_16x8.pth',
       'uniformer_base_k600_32x4.pth', 'uniformer_base_sthv2_32_prek600.pth'}
# head_dim per official file, reference 9.1 and uniformer_light.md 1
HEAD_DIM = {
    'uniformer_small_in1k.pth': 64, 'uniformer_small_plus.pth': 32,
    'uniformer_small_plus_dim64.pth': 64, 'uniformer_base_in1k.pth': 64,
    'uniformer_base_ls.pth': 64, 'uniformer_small_tl_224.pth': 32,
    'uniformer_small_plus_tl_224.pth': 32, 'uniformer_base_tl_224.pth': 32,
    'uniformer_large_ls_tl_224.pth': 64, 'uniformer_small_dim64_tl_224.pth': 64,
    'uniformer_base_dim64_tl_384.pth': None, 'uniformer_base_tl_384.pth': 32,
    'uniformer_xxs_160_in1k.pth': 28, 'uniformer_xs_224_in1k.pth': 32,
    'uniformer_base_k400_16x4.pth': 64, 'mask_rcnn_1x_xs.pth': 32,
}
# official Drive ids of a few files (reference 9.1, 9.2, 9.6)
DRIVE = {
    'uniformer_small_in1k': '1-uepH3Q3BhTmWU6HK-sGAGQC_MpfIiPD',
    'uniformer_small_k400_16x8': '174muWZJcZHieABDZMKiJ0tNeFLoEkJLx',
    'uniformer_base_k600_32x4': '1-DwdVf8w8lYj-iFpU40pfEpog9VE5PQB',
    'top_down_256x192_global_small': '162R0JuTpf3gpLe1IK6oxRoQK7JSj4ylx',
    'uniformer_xxs_128_in1k': '1Cr7uB5hUck1BHioEROWZjfLpYRwg4Zps',
}


def _metafile_models():
    for path in METAFILES:
        with open(path) as f:
            yield from yaml.safe_load(f)['Models']


def _metafile_urls(model):
    urls = {model.get('Weights'),
            (model.get('Converted From') or {}).get('Weights')}
    return urls - {None}


def _table_urls(config):
    config = TEST_ONLY.sub('.py', config)  # test-only configs share it
    return {url for e in entries_for_config(config) for url in e.urls
            if not url.startswith('hf://')}


def test_metafiles_give_exactly_the_tables_urls():
    seen = set()
    for model in _metafile_models():
        assert _metafile_urls(model) == _table_urls(model['Config']), \
            model['Name']
        seen.add(model['Config'])
    for entry in WEIGHTS.values():
        if entry.config is not None:
            assert entry.config in seen, entry.name
            assert (ROOT / entry.config).is_file(), entry.config


def test_fields():
    assert len(WEIGHTS) >= 80
    for name, entry in WEIGHTS.items():
        assert entry.name == name and entry.filename.endswith('.pth')
        assert entry.family in FAMILIES, name
        assert entry.arch in ARCH_ZOO, name
        assert entry.label_order in LABEL_ORDERS + (None, ), name
        assert (entry.label_order is None) == (
            entry.family in ('det', 'seg', 'pose')), name
        assert entry.urls, name
        assert entry.size is None and entry.sha256 is None  # none known
    assert len({e.filename for e in WEIGHTS.values()}) == len(WEIGHTS)


def test_hub_files_are_exactly_the_known_four():
    hub = {url for e in WEIGHTS.values() for url in e.urls
           if url.startswith('hf://')}
    assert hub == {f'hf://Sense-X/uniformer_video/{f}' for f in HUB}
    for filename in HUB:
        assert f'hf://Sense-X/uniformer_video/{filename}' in \
            entry_for_file(filename).urls


def test_head_dims_and_drive_ids_match_the_official_zoo():
    for filename, head_dim in HEAD_DIM.items():
        entry = entry_for_file('/some/dir/' + filename)
        assert (entry and entry.head_dim) == head_dim, filename
    for name, file_id in DRIVE.items():
        assert f'https://drive.google.com/file/d/{file_id}/view' in \
            get_weights(name).urls


def test_mirror_files_are_in_mmaction_order():
    """The OpenMMLab mirror of a Kinetics model is a converted file with the
    head rows in MMAction2's order; the Drive file keeps the official
    order."""
    mirror = get_weights('uniformer-small_imagenet1k-pre_16x4x1_kinetics400-'
                         'rgb_20221219-c630a037')
    official = get_weights('uniformer_small_k400_16x4')
    assert mirror.label_order == 'mmaction'
    assert official.label_order == 'official'
    assert mirror.config == official.config


def test_unknown_name_lists_close_names():
    assert get_weights('uniformer_small_k400_16x8.pth').name == \
        'uniformer_small_k400_16x8'
    with pytest.raises(KeyError, match='uniformer_small_k400_16x8'):
        get_weights('uniformer_smal_k400_16x8')
