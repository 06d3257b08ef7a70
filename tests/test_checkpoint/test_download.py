"""Weights by name (mmuniformer/checkpoint/download.py) against loopback
servers standing in for the hub (``HF_ENDPOINT``), Google Drive and the
OpenMMLab mirror: first download, cache hit, checksum mismatch, interrupted
download, offline.

The weights table here is a test double with made-up names and loopback
URLs (the real table is ``mmuniformer/checkpoint/weights.py``); only its
interface (``WEIGHTS``, ``get_weights``, the entry fields) is used.
"""
import difflib
import hashlib
import os
import os.path as osp
from types import SimpleNamespace

import pytest

from conftest import importorskip  # noqa: E402
importorskip('huggingface_hub')
importorskip('gdown')

from loopback_server import LoopbackServer  # noqa: E402

from mmuniformer.checkpoint import download  # noqa: E402
# the real entry type, with made-up names and loopback URLs
from mmuniformer.checkpoint.weights import WeightsEntry as Entry  # noqa: E402

BODY = os.urandom(3000) + b'end'
SHA = hashlib.sha256(BODY).hexdigest()
HUB_PATH = '/Sense-X/uniformer_video/resolve/main/fake_k400.pth'


def make_table(*entries):
    weights = {e.name: e for e in entries}

    def get_weights(name):
        if name not in weights:
            close = difflib.get_close_matches(name, list(weights), n=3)
            raise KeyError(f'no weights named {name!r}; close: {close}')
        return weights[name]
    return SimpleNamespace(WEIGHTS=weights, get_weights=get_weights)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    root = tmp_path / 'cache'
    monkeypatch.setenv('MMUNIFORMER_CACHE', str(root))
    for name in download.OFFLINE_ENVS:
        monkeypatch.delenv(name, raising=False)
    return root


def use_table(monkeypatch, *entries):
    table = make_table(*entries)
    monkeypatch.setattr(download, '_table', lambda: table)
    return table


def entry(urls, sha=None, name='fake_k400'):
    return Entry(name=name, filename='fake_k400.pth', family='video',
                 arch='small', head_dim=64, label_order='official',
                 urls=tuple(urls), sha256=sha)


def serve(path, truncate=0):
    return LoopbackServer({path: BODY}, truncate={path: truncate})


def source_url(kind, server, monkeypatch, path):
    """The table URL for a source served by ``server``."""
    if kind == 'hub':
        monkeypatch.setenv('HF_ENDPOINT', server.url)
        return 'hf://Sense-X/uniformer_video/fake_k400.pth'
    if kind == 'drive':
        monkeypatch.setattr(download, 'DRIVE_HOSTS', (server.host,))
    return server.url + path


def path_of(kind):
    return HUB_PATH if kind == 'hub' else f'/{kind}/fake_k400.pth'


SOURCES = ['hub', 'drive', 'http']


@pytest.mark.parametrize('kind', SOURCES)
def test_first_download_then_cache_hit(kind, cache, monkeypatch):
    path = path_of(kind)
    with serve(path) as server:
        url = source_url(kind, server, monkeypatch, path)
        assert download.source_of(url) == kind
        use_table(monkeypatch, entry([url]))
        got = download.resolve_checkpoint('fake_k400')
        assert got == str(cache / 'fake_k400.pth')
        with open(got, 'rb') as f:
            assert f.read() == BODY
        # no sha256 in the table: recorded after the first download
        record = download._read_record(got)
        assert record['sha256'] == SHA and record['size'] == len(BODY)
        gets = len(server.gets(path))
        assert gets >= 1
        # cache hit: by name and by file name, no request at all
        before = len(server.requests)
        assert download.resolve_checkpoint('fake_k400') == got
        assert download.resolve_checkpoint('fake_k400.pth') == got
        assert len(server.requests) == before
    # and with the server gone and downloads off
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    assert download.resolve_checkpoint('fake_k400') == got


@pytest.mark.parametrize('kind', SOURCES)
def test_checksum_mismatch(kind, cache, monkeypatch):
    path = path_of(kind)
    with serve(path) as server:
        url = source_url(kind, server, monkeypatch, path)
        use_table(monkeypatch, entry([url], sha='0' * 64))
        with pytest.raises(download.ChecksumError) as info:
            download.resolve_checkpoint('fake_k400')
    msg = str(info.value)
    assert 'expected ' + '0' * 64 in msg and SHA in msg
    assert str(cache / 'fake_k400.pth') in msg
    assert not (cache / 'fake_k400.pth').exists()


def test_checksum_of_table_accepted(cache, monkeypatch):
    path = path_of('http')
    with serve(path) as server:
        use_table(monkeypatch, entry([server.url + path], sha=SHA))
        assert osp.isfile(download.resolve_checkpoint('fake_k400'))


def test_damaged_cache_file_is_refused_not_deleted(cache, monkeypatch):
    path = path_of('http')
    with serve(path) as server:
        use_table(monkeypatch, entry([server.url + path]))
        got = download.resolve_checkpoint('fake_k400')
    with open(got, 'ab') as f:
        f.write(b'junk')  # size no longer the recorded one
    with pytest.raises(download.ChecksumError, match='damaged'):
        download.resolve_checkpoint('fake_k400')
    assert osp.isfile(got)


@pytest.mark.parametrize('kind', ['hub', 'drive'])
def test_interrupted_download_resumes(kind, cache, monkeypatch):
    """The hub and Drive libraries try again after the cut and the file is
    complete. (Both resume from what they had written; for a body below
    their chunk size that is nothing, so the retry starts at byte 0.)"""
    path = path_of(kind)
    with serve(path, truncate=1) as server:
        url = source_url(kind, server, monkeypatch, path)
        use_table(monkeypatch, entry([url], sha=SHA))
        got = download.resolve_checkpoint('fake_k400')
        ranges = [r[2] for r in server.gets(path)]
    with open(got, 'rb') as f:
        assert f.read() == BODY
    assert ranges[0] is None and len(ranges) >= 2


@pytest.mark.parametrize('kind', SOURCES)
def test_interrupted_download_fails_cleanly(kind, cache, monkeypatch):
    """A download cut every time: one error naming the URL, the cache path
    and the manual route; no partial file at the cache path and no chained
    traceback from inside the library."""
    path = path_of(kind)
    with serve(path, truncate=100) as server:
        url = source_url(kind, server, monkeypatch, path)
        use_table(monkeypatch, entry([url]))
        with pytest.raises(download.WeightsDownloadError) as info:
            download.resolve_checkpoint('fake_k400')
    msg = str(info.value)
    dst = str(cache / 'fake_k400.pth')
    assert url in msg and f'put it at {dst}' in msg
    assert not osp.exists(dst)
    assert info.value.__context__ is None and info.value.__cause__ is None


def test_mirror_cut_then_retry_succeeds(cache, monkeypatch):
    """mmengine's download has no resume: the cut file is refused (its
    size is checked), the next call downloads it whole."""
    path = path_of('http')
    with serve(path, truncate=1) as server:
        use_table(monkeypatch, entry([server.url + path]))
        with pytest.raises(download.WeightsDownloadError,
                           match='stopped after 1501 of 3003'):
            download.resolve_checkpoint('fake_k400')
        got = download.resolve_checkpoint('fake_k400')
    with open(got, 'rb') as f:
        assert f.read() == BODY


@pytest.mark.parametrize('env', download.OFFLINE_ENVS)
def test_offline_names_url_cache_and_manual_path(env, cache, monkeypatch):
    path = path_of('http')
    with serve(HUB_PATH) as hub, serve(path) as mirror:
        hub_url = source_url('hub', hub, monkeypatch, HUB_PATH)
        use_table(monkeypatch, entry([hub_url, mirror.url + path]))
        monkeypatch.setenv(env, '1')
        with pytest.raises(download.WeightsDownloadError) as info:
            download.resolve_checkpoint('fake_k400')
        assert hub.requests == [] and mirror.requests == []
    msg = str(info.value)
    dst = str(cache / 'fake_k400.pth')
    assert hub_url in msg and mirror.url + path in msg
    assert f'put it at {dst}' in msg and env in msg


def test_falls_back_to_next_url(cache, monkeypatch):
    path = path_of('http')
    with serve(path) as server:
        use_table(monkeypatch, entry([server.url + '/missing.pth',
                                      server.url + path]))
        got = download.resolve_checkpoint('fake_k400')
    with open(got, 'rb') as f:
        assert f.read() == BODY


def test_hub_reference_outside_table(cache, monkeypatch):
    with serve('/Someone/repo/resolve/main/sub/w.pth') as server:
        monkeypatch.setattr(download, 'FETCHERS', download.FETCHERS)
        server.files['/Someone/repo/resolve/main/sub/w.pth'] = BODY
        monkeypatch.setenv('HF_ENDPOINT', server.url)
        use_table(monkeypatch)
        got = download.resolve_checkpoint('hf://Someone/repo/sub/w.pth')
    assert got == str(cache / 'hf' / 'Someone' / 'repo' / 'sub' / 'w.pth')
    with open(got, 'rb') as f:
        assert f.read() == BODY


def test_paths_urls_and_unknown_names(cache, monkeypatch, tmp_path):
    use_table(monkeypatch, entry(['http://127.0.0.1:9/x.pth']))
    local = tmp_path / 'mine.pth'
    local.write_bytes(b'x')
    assert download.resolve_checkpoint(str(local)) == str(local)
    # a missing file keeps its path (the missing-pretrained message names it)
    assert download.resolve_checkpoint('checkpoints/none.pth') == \
        'checkpoints/none.pth'
    assert download.resolve_checkpoint('none.pth') == 'none.pth'
    for url in ('https://example.org/a.pth', 'open-mmlab://resnet50'):
        assert download.resolve_checkpoint(url) == url
    with pytest.raises(KeyError, match='fake_k400'):
        download.resolve_checkpoint('fake_k40')
    with pytest.raises(ValueError, match='hf://<owner>/<repo>/<file>'):
        download.resolve_checkpoint('hf://Sense-X/only_repo')


def test_init_cfg_and_load_from_take_a_name(cache, monkeypatch, tmp_path):
    """``init_cfg.checkpoint`` (the adapter's reading entry point) and
    ``load_from`` (OfficialCheckpointHook.before_run) accept a table name."""
    import io

    import torch
    from conftest import importorskip, TINY

    from mmuniformer.engine.hooks.official_checkpoint_hook import \
        OfficialCheckpointHook
    from mmuniformer.models.backbones.uniformer import UniFormer
    src = UniFormer(arch=dict(TINY))
    buf = io.BytesIO()
    torch.save({'model': src.state_dict()}, buf)
    path = '/http/fake_k400.pth'
    with LoopbackServer({path: buf.getvalue()}) as server:
        use_table(monkeypatch, entry([server.url + path]))
        dst = UniFormer(arch=dict(TINY), init_cfg=dict(
            type='Pretrained', checkpoint='fake_k400'))
        dst.init_weights()
        runner = SimpleNamespace(_load_from='fake_k400')
        OfficialCheckpointHook().before_run(runner)
    for key, value in src.state_dict().items():
        assert torch.equal(dst.state_dict()[key], value), key
    assert runner._load_from == str(cache / 'fake_k400.pth')


def test_not_a_name_stays_a_path(cache, monkeypatch):
    """Far from every name (or no table at all): returned unchanged, so a
    missing file keeps the missing-pretrained message."""
    use_table(monkeypatch, entry(['http://127.0.0.1:9/x.pth']))
    assert download.resolve_checkpoint('latest') == 'latest'
    monkeypatch.setattr(download, '_table', lambda: None)
    assert download.resolve_checkpoint('fake_k40') == 'fake_k40'
    import io
    buf = io.BytesIO(b'x')
    assert download.resolve_checkpoint(buf) is buf
