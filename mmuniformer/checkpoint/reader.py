"""Reading checkpoint files safely, and why a file cannot be read.

Every checkpoint the package reads goes through :func:`read_checkpoint`:
``init_cfg`` (the adapter), ``load_from`` / ``--resume`` / ``mim test
--checkpoint`` (:class:`~mmuniformer.engine.hooks.OfficialCheckpointHook`
checks the file before the Runner opens it), the converter and the demos.
It unpickles with ``weights_only=True``: tensors and plain data only, never
code. The official ImageNet and token-labeling saves also hold the training
``argparse.Namespace``, which is allowed as plain data.

A file that cannot be read raises :class:`UnreadableCheckpointError` naming
the file, its size and one of these reasons (:func:`checkpoint_unreadable`),
each with its own advice:

==================  ==========================================================
empty               0 bytes (a save that never wrote)
truncated           a zip archive without its central directory (a killed save
                    or an interrupted download)
corrupt             a member fails its CRC check (damaged after writing)
not a checkpoint    neither torch.save's zip format nor the legacy pickle
                    format (e.g. an HTML page saved instead of the file)
foreign zip         a zip archive without torch.save's ``data.pkl`` /
                    ``version`` records
legacy format       a PyTorch < 1.6 pickle file that does not unpickle
unsafe pickle       it holds a Python object outside tensors and plain data
                    (e.g. ``builtins.eval``); refused, nothing in it ran
==================  ==========================================================

No message advises ``weights_only=False`` or allow-listing a callable: for
an untrusted file both would run its code.
"""
import argparse
import contextlib
import os
import os.path as osp
import pickle
import re
import zipfile
from typing import Optional

import torch

# Plain-data classes the official saves hold besides tensors.
SAFE_GLOBALS = (argparse.Namespace, )
_LOCAL_PREFIXES = ('open-mmlab:', 'openmmlab:', 'torchvision:', 'mmcls:',
                   'pavi:', 's3:', 'petrel:')
_LEGACY_MAGIC = b'\x80'  # pickle protocol opcode of a legacy torch.save
_READ_ERRORS = (EOFError, RuntimeError, ValueError, OSError, KeyError,
                IndexError, AttributeError, TypeError, UnicodeDecodeError,
                pickle.UnpicklingError, zipfile.BadZipFile)
REDOWNLOAD = 'download or save it again'
UNSAFE_ADVICE = ('loading it could run code, so it was refused and nothing '
                 'in it was run. Use checkpoints from sources you trust; a '
                 'model you trust can be re-saved as tensors only with '
                 'torch.save(model.state_dict(), path)')


class UnreadableCheckpointError(RuntimeError):
    """A checkpoint file cannot be read at all (empty, truncated, corrupt,
    not a PyTorch file, or holding objects that are not safe to load)."""


def _safe_globals():
    safe = getattr(torch.serialization, 'safe_globals', None)
    return safe(list(SAFE_GLOBALS)) if safe else contextlib.nullcontext()


def _torch_load(path: str, map_location='cpu', mmap: bool = False):
    with _safe_globals():
        return torch.load(path, map_location=map_location, weights_only=True,
                          mmap=mmap)


def unreadable_reason(exc: BaseException) -> str:
    """The reason in a loader's exception, without torch's advice to load
    with ``weights_only=False`` or to allow-list a global.

    Args:
        exc (BaseException): what ``torch.load`` (or mmengine's loader)
            raised.
    """
    text = str(exc).strip() or type(exc).__name__
    found = re.search(r'GLOBAL ([\w.]+)', text)
    if found:
        return (f'unsafe pickle: it holds the Python object '
                f'{found.group(1)}, which is not a tensor or plain data; '
                + UNSAFE_ADVICE)
    if 'Unsupported global' in text or 'Unsupported operand' in text:
        what = re.search(r'Unsupported (?:global|operand)[^\n.]*', text)
        return (f'unsafe pickle ({what.group(0).strip()}); ' + UNSAFE_ADVICE)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()
             and 'weights_only' not in ln and 'safe_globals' not in ln
             and 'Please file an issue' not in ln
             and 'Check the documentation' not in ln
             and not ln.startswith('(1)') and not ln.startswith('(2)')]
    first = lines[0] if lines else type(exc).__name__
    if 'hasRecord' in first or 'PytorchStreamReader' in first:
        return (f'a zip archive that torch.save did not write ({first}); '
                + REDOWNLOAD)
    return f'{type(exc).__name__}: {first}; {REDOWNLOAD}'


def _zip_reason(path: str) -> Optional[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            has_pickle = any(n == 'data.pkl' or n.endswith('/data.pkl')
                             for n in names)
            has_version = any(n == 'version' or n.endswith('/version')
                              for n in names)
            if not (has_pickle and has_version):
                return ('a zip archive that torch.save did not write (no '
                        f'data.pkl / version record; members: {names[:4]}'
                        f'); {REDOWNLOAD}')
            broken = archive.testzip()
            if broken is not None:
                return (f'corrupt: member {broken} fails its CRC check (the '
                        f'file was damaged after it was written); '
                        f'{REDOWNLOAD}')
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        return (f'truncated or corrupt zip archive ({type(exc).__name__}: '
                f'{exc}); {REDOWNLOAD}')
    return None


def checkpoint_unreadable(path: str, unpickle: bool = True
                          ) -> Optional[str]:
    """Why the local file ``path`` is not a complete, safe PyTorch
    checkpoint, or None if it is one. Runs no code from the file.

    Checks the container first (size, zip central directory, torch.save's
    records, the CRC of every member), then, with ``unpickle``, unpickles
    it ``weights_only`` with the tensors memory-mapped (cheap: no tensor
    data is read) so that an unsafe pickle is found too.

    Args:
        path (str): a local file.
        unpickle (bool): also unpickle it (see above). Defaults to True.
    """
    path = str(path)
    if not osp.isfile(path):
        return 'file not found'
    size = osp.getsize(path)
    if size == 0:
        return f'empty: the file has 0 bytes (a save that never wrote); ' \
            f'{REDOWNLOAD}'
    with open(path, 'rb') as f:
        head = f.read(512)
    if zipfile.is_zipfile(path):
        reason = _zip_reason(path)
        mmap = True
    elif head.startswith(b'PK'):
        return (f'truncated: a zip archive without its central directory '
                f'({size} bytes; a killed save or an interrupted download); '
                f'{REDOWNLOAD}')
    elif head.startswith(_LEGACY_MAGIC):
        reason, mmap = None, False
    else:
        lower = head.lower()
        what = ('an HTML page (e.g. a download page saved instead of the '
                'file; Google Drive files need gdown or a browser)'
                if b'<html' in lower or b'<!doctype' in lower else
                f'data starting with {head[:8]!r}')
        return (f'not a PyTorch checkpoint: {what}, neither the zip format '
                f'of torch.save nor its legacy pickle format; {REDOWNLOAD}')
    if reason is not None or not unpickle:
        return reason
    try:
        _torch_load(path, mmap=mmap)
    except _READ_ERRORS as exc:
        reason = unreadable_reason(exc)
        found = re.search(r'GLOBAL ([\w.]+)', str(exc))
        if not mmap and (found is None or found.group(1).startswith(
                'torch')):
            # a torch-internal name cut short is damage, not a foreign object
            reason = ('legacy format (a PyTorch < 1.6 pickle) that does not '
                      'unpickle, truncated or damaged ('
                      + (found.group(0) if found else reason) +
                      f'); {REDOWNLOAD}')
        return reason
    return None


def unreadable_error(filename, reason: str) -> UnreadableCheckpointError:
    """:class:`UnreadableCheckpointError` naming ``filename``, its size and
    ``reason``.

    Args:
        filename (str): the file as given.
        reason (str): from :func:`checkpoint_unreadable` or
            :func:`unreadable_reason`.
    """
    size = ''
    if isinstance(filename, str) and osp.isfile(filename):
        size = f' ({osp.getsize(filename)} bytes)'
    return UnreadableCheckpointError(
        f'{filename} is not a readable checkpoint{size}: {reason}.')


def _is_local(filename) -> bool:
    return not (isinstance(filename, str) and (
        '://' in filename or filename.startswith(_LOCAL_PREFIXES)))


def _resolve(filename):
    """A weights-table name or ``hf://`` reference -> a local path
    (:func:`mmuniformer.checkpoint.download.resolve_checkpoint`); anything
    else unchanged."""
    from .download import resolve_checkpoint
    return resolve_checkpoint(filename)


def _download(url: str) -> str:
    """An ``http(s)://`` URL -> a local copy in torch's hub cache (so that
    the file is unpickled here, ``weights_only``)."""
    from torch.hub import download_url_to_file, get_dir
    folder = osp.join(get_dir(), 'checkpoints')
    os.makedirs(folder, exist_ok=True)
    path = osp.join(folder, osp.basename(url.split('?')[0]))
    if not osp.isfile(path):
        download_url_to_file(url, path, progress=False)
    return path


def read_checkpoint(filename, map_location='cpu') -> dict:
    """Read a checkpoint: the one entry point of the package.

    Args:
        filename (str): a local path, an ``http(s)://`` URL (downloaded to
            torch's hub cache), another mmengine scheme (``open-mmlab://``
            ...), or what :mod:`mmuniformer.checkpoint.download` resolves.
        map_location (str): as for ``torch.load``. Defaults to ``'cpu'``.

    Raises:
        FileNotFoundError: the local file does not exist.
        UnreadableCheckpointError: naming the file and the reason (see the
            module docstring).
    """
    filename = _resolve(filename)
    if isinstance(filename, str) and filename.startswith(('http://',
                                                          'https://')):
        filename = _download(filename)
    if not _is_local(filename):
        from mmengine.runner.checkpoint import CheckpointLoader
        try:
            with _safe_globals():
                return CheckpointLoader.load_checkpoint(
                    filename, map_location=map_location)
        except FileNotFoundError:
            raise
        except _READ_ERRORS as exc:
            raise unreadable_error(filename, unreadable_reason(exc)) from exc
    path = osp.expanduser(str(filename))
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint {filename} not found')
    reason = checkpoint_unreadable(path, unpickle=False)
    if reason is not None:
        raise unreadable_error(filename, reason)
    try:
        return _torch_load(path, map_location=map_location)
    except _READ_ERRORS as exc:
        reason = checkpoint_unreadable(path) or unreadable_reason(exc)
        raise unreadable_error(filename, reason) from exc


# the name the adapter, the tools and the tests have used
load_checkpoint_file = read_checkpoint
