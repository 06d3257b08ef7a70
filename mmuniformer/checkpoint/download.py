"""Official weights by name: turn a checkpoint reference into a local file.

:func:`resolve_checkpoint` accepts

* a local path (returned unchanged, also when it does not exist, so that the
  missing-pretrained message of :mod:`.pretrained` still explains it);
* a name of the weights table (``mmuniformer.checkpoint.weights``), e.g.
  ``uniformer_small_k400_16x8``, or its file name;
* ``hf://<owner>/<repo>/<file>``, a file on the Hugging Face hub;
* any other URL (``https://``, ``open-mmlab://``...), returned unchanged for
  mmengine's own loaders.

Each source is fetched by the library that owns its host, which also owns
the protocol details we would otherwise get wrong:

* the hub through ``huggingface_hub.hf_hub_download`` (resumes an
  interrupted download from its ``.incomplete`` file, honours
  ``HF_ENDPOINT`` and ``HF_HUB_OFFLINE``);
* Google Drive through ``gdown`` (the confirmation page of large files,
  ``resume=True``, raises on a body shorter than announced);
* the OpenMMLab mirror (any other ``http(s)`` URL of the table) through
  ``torch.hub.download_url_to_file``, the function mmengine's
  ``load_from_http`` downloads with. It writes a ``.partial`` file and
  renames it at the end, but accepts a body shorter than its
  ``Content-Length`` (urllib reports no error), so the announced size is
  checked here.

All files land in one folder, :func:`cache_root` (``$MMUNIFORMER_CACHE``,
default ``~/.cache/mmuniformer/checkpoints``), as ``<root>/<file name>``:
the place to put a manual download too. Beside each file a
``<file>.sha256`` records its digest and size: checked against the table's
``sha256`` where it has one, recorded after the first download where it does
not. A cache hit with the recorded size is returned without re-hashing (a
150 MB file takes ~0.3 s to hash; the demos resolve on every start).

``HF_HUB_OFFLINE=1`` (or ``MMUNIFORMER_OFFLINE=1``) stops every source, not
only the hub. Offline with a cache miss, or when every URL fails,
:class:`WeightsDownloadError` names the URLs tried, the cache path and where
to put a manual download; no traceback from the middle of a download.
"""
import difflib
import hashlib
import json
import os
import os.path as osp
import urllib.request
from typing import Optional, Sequence, Tuple

CACHE_ENV = 'MMUNIFORMER_CACHE'
OFFLINE_ENVS = ('HF_HUB_OFFLINE', 'MMUNIFORMER_OFFLINE')
DRIVE_HOSTS = ('drive.google.com', 'docs.google.com')
HF_SCHEME = 'hf://'
CHECKPOINT_EXTS = ('.pth', '.pt', '.ckpt', '.bin', '.safetensors')
# seconds without a byte before a download counts as failed
TIMEOUT = 60


class WeightsDownloadError(FileNotFoundError):
    """Weights could not be fetched (offline, server error, interrupted
    download); the message says where to put a manual download."""


class ChecksumError(WeightsDownloadError):
    """A file's sha256 is not the one the weights table records."""


def cache_root() -> str:
    """The one folder downloads land in (``$MMUNIFORMER_CACHE`` or
    ``~/.cache/mmuniformer/checkpoints``)."""
    return osp.abspath(osp.expanduser(os.environ.get(
        CACHE_ENV, osp.join('~', '.cache', 'mmuniformer', 'checkpoints'))))


def is_offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` or ``MMUNIFORMER_OFFLINE`` is set to a
    true value (``1``, ``true``, ``yes``, ``on``)."""
    return any(os.environ.get(name, '').strip().lower() in
               ('1', 'true', 'yes', 'on') for name in OFFLINE_ENVS)


def _table():
    """The weights table module (``mmuniformer.checkpoint.weights``), or
    None while it is not there."""
    try:
        from . import weights
    except ImportError:
        return None
    return weights


def find_entry(ref: str):
    """The table entry named ``ref`` (by name, or by file name), else None.
    """
    table = _table()
    if table is None:
        return None
    if ref in table.WEIGHTS:
        return table.WEIGHTS[ref]
    for entry in table.WEIGHTS.values():
        if entry.filename == ref:
            return entry
    return None


def sha256_of(path: str) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _record_path(path: str) -> str:
    return path + '.sha256'


def _read_record(path: str) -> Optional[dict]:
    try:
        with open(_record_path(path)) as f:
            record = json.load(f)
        return record if isinstance(record, dict) else None
    except (OSError, ValueError):
        return None


def verify_file(path: str, expected: Optional[str], url: str,
                fresh: bool) -> str:
    """Check ``path`` against ``expected`` (or its own record) and record
    its digest; returns the digest. A freshly downloaded file that does not
    match is deleted; a file found in the cache is left for the user."""
    record = _read_record(path)
    size = osp.getsize(path)
    if record and record.get('size') == size and not fresh and (
            expected is None or record.get('sha256') == expected):
        return record['sha256']
    digest = sha256_of(path)
    want = expected or (record or {}).get('sha256') if not fresh \
        else expected
    if want is not None and digest != want:
        if fresh:
            os.remove(path)
        raise ChecksumError(
            f'checksum mismatch for {path} (from {url}): sha256 {digest}, '
            f'expected {want}. ' + (
                'The download was deleted; try again, or download it by '
                f'hand and put it at {path}.' if fresh else
                f'The file in the cache is damaged or another file: delete '
                f'it, or replace it with a good copy at {path}.'))
    tmp = _record_path(path) + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(dict(sha256=digest, size=size, url=url), f)
    os.replace(tmp, _record_path(path))
    return digest


def parse_hf(ref: str) -> Tuple[str, str]:
    """``hf://owner/repo/path/file`` -> ``('owner/repo', 'path/file')``."""
    parts = ref[len(HF_SCHEME):].strip('/').split('/')
    if len(parts) < 3 or not all(parts):
        raise ValueError(
            f'{ref!r} is not a hub reference: write hf://<owner>/<repo>/'
            '<file>, e.g. hf://Sense-X/uniformer_video/'
            'uniformer_small_k400_16x8.pth')
    return '/'.join(parts[:2]), '/'.join(parts[2:])


def source_of(url: str) -> str:
    """``'hub'``, ``'drive'`` or ``'http'``: which library fetches ``url``.
    """
    if url.startswith(HF_SCHEME):
        return 'hub'
    host = url.split('://', 1)[-1].split('/', 1)[0].lower()
    if host in DRIVE_HOSTS:
        return 'drive'
    return 'http'


def _fetch_hub(url: str, dst: str) -> None:
    """``huggingface_hub`` into the cache folder (``local_dir``: the file
    lands at ``dst`` itself; partial data is kept in
    ``<root>/.cache/huggingface`` and resumed)."""
    from huggingface_hub import hf_hub_download
    repo_id, filename = parse_hf(url)
    # read HF_ENDPOINT now, not at import of huggingface_hub
    endpoint = os.environ.get('HF_ENDPOINT') or None
    local_dir = osp.dirname(dst)
    got = hf_hub_download(repo_id, filename, local_dir=local_dir,
                          endpoint=endpoint, etag_timeout=TIMEOUT)
    if osp.abspath(got) != dst:
        os.replace(got, dst)


def _fetch_drive(url: str, dst: str) -> None:
    """``gdown`` with resume and retries; it raises on a short body."""
    import gdown
    got = gdown.download(url, dst, quiet=True, resume=True,
                         timeout=TIMEOUT, retries=2)
    if got is None:
        raise OSError('gdown could not retrieve the file (no download link '
                      'on the page: private file or quota exceeded)')


def _fetch_http(url: str, dst: str) -> None:
    """mmengine's download (``torch.hub.download_url_to_file``) plus the
    size check it lacks."""
    from torch.hub import download_url_to_file
    request = urllib.request.Request(url, method='HEAD',
                                     headers={'User-Agent': 'torch.hub'})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        announced = response.headers.get('Content-Length')
    download_url_to_file(url, dst, progress=False)
    if announced is not None and osp.getsize(dst) != int(announced):
        got = osp.getsize(dst)
        os.remove(dst)
        raise OSError(f'the download stopped after {got} of {announced} '
                      'bytes')


FETCHERS = dict(hub=_fetch_hub, drive=_fetch_drive, http=_fetch_http)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f'{type(exc).__name__}: {text[0] if text else ""}'.rstrip(': ')


def _manual_hint(dst: str, urls: Sequence[str]) -> str:
    shown = ', '.join(u for u in urls)
    return (f'Download it by hand from {shown} and put it at {dst} (the '
            f'cache folder, ${CACHE_ENV} or ~/.cache/mmuniformer/'
            'checkpoints), or pass the path of your copy instead of the '
            'name.')


def fetch(urls: Sequence[str], dst: str, sha256: Optional[str] = None,
          label: Optional[str] = None) -> str:
    """Return ``dst``, downloading it from the first of ``urls`` that works
    when it is not in the cache yet."""
    label = label or osp.basename(dst)
    if osp.isfile(dst):
        verify_file(dst, sha256, urls[0] if urls else dst, fresh=False)
        return dst
    if is_offline():
        raise WeightsDownloadError(
            f'{label} is not in the cache ({dst}) and downloads are off '
            f'({"/".join(OFFLINE_ENVS)} is set). ' + _manual_hint(dst, urls))
    os.makedirs(osp.dirname(dst), exist_ok=True)
    failures = []
    for url in urls:
        try:
            FETCHERS[source_of(url)](url, dst)
        except (TypeError, AttributeError, NameError):
            raise  # our bug or an incompatible library: show it
        except ImportError as exc:
            failures.append(f'{url}: {_reason(exc)} (pip install '
                            '"mmuniformer[weights]")')
            continue
        except Exception as exc:  # noqa: BLE001 -- every library's own
            failures.append(f'{url}: {_reason(exc)}')
            continue
        if not osp.isfile(dst):
            failures.append(f'{url}: the download left no file at {dst}')
            continue
        try:
            verify_file(dst, sha256, url, fresh=True)
        except ChecksumError as exc:
            failures.append(f'{url}: {exc}')
            continue
        return dst
    mismatch = any('checksum mismatch' in f for f in failures)
    error = ChecksumError if mismatch else WeightsDownloadError
    raise error(f'could not download {label} to {dst}:\n  ' +
                '\n  '.join(failures) + '\n' + _manual_hint(dst, urls))


def resolve_checkpoint(ref: str) -> str:
    """A local path for ``ref`` (see the module docstring).

    Args:
        ref (str): a path, a weights-table name or file name,
            ``hf://<owner>/<repo>/<file>``, or a URL mmengine reads itself.

    Returns:
        str: a local file path; for a path or a plain URL, ``ref`` itself.

    Raises:
        WeightsDownloadError: offline with a cache miss, or every URL failed
            (the message names them, the cache path and where to put a
            manual download).
        ChecksumError: the file's sha256 is not the table's.
        KeyError: ``ref`` is no file and no table name but close to one
            (a typo); the message lists the close names. Anything else is
            returned unchanged, for the caller's missing-file message.
    """
    if not isinstance(ref, (str, os.PathLike)):
        return ref  # a file object or the like: for mmengine's loader
    ref = os.fspath(ref)
    if ref.startswith(HF_SCHEME):
        repo_id, filename = parse_hf(ref)
        entry = find_entry(osp.basename(filename))
        sha = entry.sha256 if entry is not None and \
            ref in entry.urls else None
        if entry is not None and ref in entry.urls:
            dst = osp.join(cache_root(), entry.filename)
        else:
            dst = osp.join(cache_root(), 'hf', repo_id, filename)
        return fetch([ref], dst, sha256=sha, label=ref)
    if '://' in ref or ref.startswith(('open-mmlab:', 'openmmlab:',
                                       'torchvision:', 'mmcls:', 'pavi:')):
        return ref
    if osp.exists(osp.expanduser(ref)) or os.sep in ref or '/' in ref:
        return ref
    entry = find_entry(ref)
    if entry is not None:
        return fetch(list(entry.urls), osp.join(cache_root(), entry.filename),
                     sha256=entry.sha256, label=entry.name)
    if ref.lower().endswith(CHECKPOINT_EXTS):
        return ref  # a missing local file: the caller's message explains
    table = _table()
    if table is not None and difflib.get_close_matches(
            ref, list(table.WEIGHTS), n=1, cutoff=0.8):
        table.get_weights(ref)  # raises KeyError listing the close names
    return ref  # not a name: the caller's missing-file message explains
