"""Where the pretrained files named by our configs come from.

Configs start from official files by a relative path (``init_cfg=dict(
type='Pretrained', checkpoint='checkpoints/uniformer_small_k400_16x4.pth')``).
mmengine's loader only says such a file "can not be found"; nothing tells a
new user where to get it or how to train without it. :func:`check_pretrained`
raises :class:`MissingPretrainedError` instead, naming

* the file and the absolute path it was looked for at,
* where it comes from, read from the weights table
  (:mod:`mmuniformer.checkpoint.weights`): its Google Drive file, Hugging Face
  file and OpenMMLab mirror (a converted copy, which loads as well), and for
  ImageNet files the official ImageNet folder,
* the ``--cfg-options`` that point at another copy or start from scratch.
"""
import os
import os.path as osp

from .weights import IMAGENET_FOLDER, entries_for_config, entry_for_file

SCRATCH_OPTION = 'model.backbone.init_cfg=None'
_WHERE = (('drive.google.com', 'Google Drive: download it by hand or with '
           'gdown'), ('hf://', 'Hugging Face'),
          ('download.openmmlab.com', 'OpenMMLab mirror, a direct download'))


class MissingPretrainedError(FileNotFoundError):
    """A config's pretrained file is not on disk."""


def _sources(entry) -> list:
    """One line per URL of ``entry`` and of the other files of its config
    (the converted OpenMMLab copy of an official file)."""
    lines = []
    others = [e for e in entries_for_config(entry.config)
              if e.name != entry.name] if entry.config else []
    for item in (entry, *others):
        for url in item.urls:
            where = next((w for key, w in _WHERE if key in url), 'link')
            copy = '' if item is entry else \
                f', converted copy {item.filename}, loads as well'
            lines.append(f'    {url} ({where}{copy})')
    return lines


def missing_pretrained_message(filename: str,
                               key: str = 'model.backbone.init_cfg') -> str:
    """What to do about an absent pretrained file (see module docstring).

    Args:
        filename (str): the path the config gives.
        key (str): the config key that names it. Defaults to
            ``'model.backbone.init_cfg'``.
    """
    name = osp.basename(filename)
    where = osp.abspath(filename)
    lines = [f'pretrained file {filename} not found (looked for '
             f'{where}); {key} of this config starts from it.']
    entry = entry_for_file(filename)
    if entry is not None:
        lines.append(f'  It is the released UniFormer checkpoint '
                     f'{entry.name!r} ({entry.family}, arch {entry.arch}, '
                     f'head_dim {entry.head_dim}), from:')
        lines += _sources(entry)
        if entry.family in ('image', 'light_image'):
            lines.append(f'    the official ImageNet folder: '
                         f'{IMAGENET_FOLDER}')
    else:
        lines.append('  No model-index entry names this file: check the '
                     'path in the config (mmuniformer.checkpoint.weights '
                     'lists the released files).')
    lines.append(f'  Put it at {where} (the path is relative to the '
                 f'directory you run from, here {os.getcwd()}), or point '
                 f'the config at your copy: --cfg-options '
                 f'{key}.checkpoint=/path/to/{name}')
    lines.append(f'  To train from scratch instead (random initialisation, '
                 f'far lower accuracy): --cfg-options {SCRATCH_OPTION}')
    return '\n'.join(lines)


def check_pretrained(filename) -> None:
    """Raise :class:`MissingPretrainedError` when ``filename`` is a local
    path that does not exist (URLs and other backends pass through).

    Args:
        filename (str): the checkpoint a config names.
    """
    filename = str(filename)
    if '://' in filename or filename.startswith(('open-mmlab:',
                                                 'torchvision:',
                                                 'mmcls:', 'pavi:')):
        return
    if not osp.isfile(osp.expanduser(filename)):
        raise MissingPretrainedError(missing_pretrained_message(filename))
