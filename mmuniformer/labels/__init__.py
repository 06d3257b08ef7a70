"""Class lists shipped with the package and head-row reordering.

The official Kinetics heads use UniFormer's own class order (the files
``official_uniformer_k400_categories.txt`` -- ``name<TAB>index`` -- and the
two K600 ``*.list`` files -- ``name_with_underscores index``); MMAction2's
annotation files use its label maps (one name per line, line = index).
:func:`head_permutation` gives the row order that turns an official head
into one for MMAction2's indices.
"""
import os.path as osp
import re
from typing import Dict, List

import numpy as np

LABEL_DIR = osp.dirname(osp.abspath(__file__))
DATASETS = ('k400', 'k600')
_OFFICIAL_FILES = {
    'k400': ['official_uniformer_k400_categories.txt'],
    'k600': ['official_uniformer_k600_common_category.list',
             'official_uniformer_k600_special_category.list'],
}
_MMACTION_FILES = {
    'k400': 'mmaction_label_map_k400.txt',
    'k600': 'mmaction_label_map_k600.txt',
}


def normalize_name(name: str) -> str:
    """Key under which both spellings of a Kinetics class agree:
    ``"massaging person's head"`` and ``massaging_persons_head`` ->
    ``massaging_persons_head``."""
    return re.sub(r"[()']", '', name.strip()).replace(' ', '_')


def _check_dataset(dataset: str):
    if dataset not in DATASETS:
        raise ValueError(f'no label lists for {dataset!r}; available: '
                         f'{list(DATASETS)}')


def mmaction_classes(dataset: str) -> List[str]:
    """Class names in MMAction2's index order."""
    _check_dataset(dataset)
    with open(osp.join(LABEL_DIR, _MMACTION_FILES[dataset])) as f:
        return [line.strip() for line in f if line.strip()]


def official_classes(dataset: str) -> List[str]:
    """Class names (normalised) in the official UniFormer head order."""
    _check_dataset(dataset)
    by_index: Dict[int, str] = {}
    for fname in _OFFICIAL_FILES[dataset]:
        path = osp.join(LABEL_DIR, fname)
        with open(path) as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                name, _, index = line.rstrip('\n').replace('\t', ' ') \
                    .rpartition(' ')
                if not index.strip().isdigit():
                    raise ValueError(f'{path}:{lineno}: expected "name '
                                     f'index", got {line!r}')
                idx = int(index)
                if idx in by_index:
                    raise ValueError(f'{path}:{lineno}: index {idx} used '
                                     'twice')
                by_index[idx] = normalize_name(name)
    n = len(by_index)
    if sorted(by_index) != list(range(n)):
        raise ValueError(f'official {dataset} indices are not 0..{n - 1}')
    return [by_index[i] for i in range(n)]


def head_permutation(dataset: str) -> np.ndarray:
    """``perm`` with ``mm_head[i] = official_head[perm[i]]``, ``i`` being
    MMAction2's class index."""
    official = {name: i for i, name in enumerate(official_classes(dataset))}
    mm = [normalize_name(n) for n in mmaction_classes(dataset)]
    missing = [n for n in mm if n not in official]
    if missing or len(mm) != len(official):
        raise ValueError(f'{dataset}: label lists do not match: {missing}')
    return np.array([official[n] for n in mm], dtype=np.int64)


# Something-Something: the official category files, line i = class i (the
# order of the official heads and of MMAction2's sthv1/sthv2 annotations)
_STH_FILES = {
    'sthv1': 'official_uniformer_sthv1_categories.txt',
    'sthv2': 'official_uniformer_sthv2_categories.txt',
}
ALIASES = ('k400', 'k600', 'k400-official', 'k600-official', 'sthv1',
           'sthv2')


def alias_classes(alias: str) -> List[str]:
    """Class names of a shipped label list, in head order:

    * ``k400`` / ``k600``: MMAction2's label-map order (converted Kinetics
      heads use it with ``label_order='mmaction'``);
    * ``k400-official`` / ``k600-official``: the official head order;
    * ``sthv1`` / ``sthv2``: the 174 Something-Something classes.
    """
    if alias in DATASETS:
        return mmaction_classes(alias)
    if alias.endswith('-official') and alias[:-9] in DATASETS:
        return [n.replace('_', ' ') for n in official_classes(alias[:-9])]
    if alias in _STH_FILES:
        with open(osp.join(LABEL_DIR, _STH_FILES[alias])) as f:
            return [line.strip() for line in f if line.strip()]
    raise ValueError(f'no label list {alias!r}; shipped: {list(ALIASES)}')


def dataset_for_num_classes(num_classes: int) -> str:
    """``'k400'`` / ``'k600'`` for 400 / 600 classes."""
    for dataset in DATASETS:
        if len(mmaction_classes(dataset)) == num_classes:
            return dataset
    raise ValueError(f'no Kinetics label list has {num_classes} classes')
