"""Where the pretrained files named by our configs come from.

Configs start from official files by a relative path (``init_cfg=dict(
type='Pretrained', checkpoint='checkpoints/uniformer_small_k400_16x4.pth')``).
mmengine's loader only says such a file "can not be found"; nothing tells a
new user where to get it or how to train without it. :func:`check_pretrained`
raises :class:`MissingPretrainedError` instead, naming

* the file and the absolute path it was looked for at,
* the URL it comes from: for the official Kinetics video files the model-index
  metafile entry of the config that produced them (its official Google Drive
  file under ``Converted From``, and the OpenMMLab mirror where there is one);
  for the official ImageNet files the official ImageNet folder (reference
  section 8; no metafile lists ImageNet classifiers),
* the ``--cfg-options`` that point at another copy or start from scratch.
"""
import os
import os.path as osp
import re
from typing import List, Optional, Tuple

PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))
# official ImageNet models (DeiT recipe): Google Drive folder, reference §8
IMAGENET_FOLDER = ('https://drive.google.com/drive/folders/'
                   '1-sqWoelz3agOG74VkNwadY8RHR28o4Wv')
VIDEO_FILE = re.compile(
    r'^uniformer_(small|base)_(k400|k600)_(\d+)x(\d+)\.pth$')
IMAGENET_FILE = re.compile(r'^uniformer_(small|small_plus|base)_in1k\.pth$')
_ARCH = dict(small='UniFormer-S', base='UniFormer-B')
_DATASET = dict(k400='Kinetics-400', k600='Kinetics-600')
SCRATCH_OPTION = 'model.backbone.init_cfg=None'


class MissingPretrainedError(FileNotFoundError):
    """A config's pretrained file is not on disk."""


def metafile_paths() -> List[str]:
    """The model-index metafiles, from an editable checkout (``configs/``
    next to the package) or an installed package (``.mim/configs``)."""
    roots = [osp.join(PACKAGE_DIR, '.mim', 'configs'),
             osp.join(osp.dirname(PACKAGE_DIR), 'configs')]
    out = []
    for root in roots:
        for task in ('recognition', 'detection', 'segmentation', 'pose'):
            path = osp.join(root, task, 'uniformer', 'metafile.yml')
            if osp.isfile(path) and not any(
                    osp.samefile(path, p) for p in out):
                out.append(path)
    return out


def _video_models():
    import yaml
    for path in metafile_paths():
        with open(path) as f:
            index = yaml.safe_load(f) or {}
        for model in index.get('Models', []):
            yield model


def video_file_sources(name: str) -> Optional[Tuple[str, Optional[str],
                                                    str]]:
    """``(official_url, mirror_url_or_None, metafile_model_name)`` for an
    official Kinetics video file name such as
    ``uniformer_base_k400_16x4.pth``: the metafile entry trained on that
    data set with that arch, frames and sampling rate from ImageNet."""
    match = VIDEO_FILE.match(name)
    if match is None:
        return None
    arch, dataset, frames, rate = match.groups()
    for model in _video_models():
        meta = model.get('Metadata', {})
        if (_ARCH[arch] in meta.get('Architecture', [])
                and meta.get('Training Data') == _DATASET[dataset]
                and str(meta.get('Frames')) == frames
                and str(meta.get('Sampling Rate')) == rate
                and str(meta.get('Pretrained', '')).startswith('ImageNet')):
            official = (model.get('Converted From') or {}).get('Weights') \
                or model.get('Weights')
            mirror = model.get('Weights')
            return official, mirror if mirror != official else None, \
                model['Name']
    return None


def missing_pretrained_message(filename: str,
                               key: str = 'model.backbone.init_cfg') -> str:
    """What to do about an absent pretrained file (see module docstring)."""
    name = osp.basename(filename)
    where = osp.abspath(filename)
    lines = [f'pretrained file {filename} not found (looked for '
             f'{where}); {key} of this config starts from it.']
    video = video_file_sources(name)
    if video is not None:
        official, mirror, entry = video
        lines.append(f'  It is the official UniFormer video checkpoint of '
                     f'model-index entry {entry}: {official}'
                     + (' (Google Drive: download it by hand or with gdown)'
                        if 'drive.google' in official else ''))
        if mirror:
            lines.append(f'  OpenMMLab mirror (direct download, loads as '
                         f'well): {mirror}')
    elif IMAGENET_FILE.match(name):
        lines.append('  It is an official UniFormer ImageNet-1K checkpoint, '
                     f'file {name} in the official ImageNet folder: '
                     f'{IMAGENET_FOLDER} (Google Drive: download by hand '
                     'or with gdown)')
    else:
        lines.append('  No model-index entry names this file: check the '
                     'path in the config.')
    lines.append(f'  Put it at {where} (the path is relative to the '
                 f'directory you run from, here {os.getcwd()}), or point '
                 f'the config at your copy: --cfg-options '
                 f'{key}.checkpoint=/path/to/{name}')
    lines.append(f'  To train from scratch instead (random initialisation, '
                 f'far lower accuracy): --cfg-options {SCRATCH_OPTION}')
    return '\n'.join(lines)


def check_pretrained(filename) -> None:
    """Raise :class:`MissingPretrainedError` when ``filename`` is a local
    path that does not exist (URLs and other backends pass through)."""
    filename = str(filename)
    if '://' in filename or filename.startswith(('open-mmlab:',
                                                 'torchvision:',
                                                 'mmcls:', 'pavi:')):
        return
    if not osp.isfile(osp.expanduser(filename)):
        raise MissingPretrainedError(missing_pretrained_message(filename))
