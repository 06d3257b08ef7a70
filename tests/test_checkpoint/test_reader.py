"""Untrusted and damaged checkpoint files: each one is named with the right
reason, whichever path loads it (the reader, ``init_cfg``, ``load_from`` /
``mim test --checkpoint``), and no message advises ``weights_only=False`` or
allow-listing a callable. A malicious pickle never runs."""
import os
import struct
import zipfile

import pytest
import torch

from mmuniformer.checkpoint.reader import (UnreadableCheckpointError,
                                           checkpoint_unreadable,
                                           read_checkpoint)

# torch's advice for a refused pickle, which must never reach a user
UNSAFE_ADVICE = ('weights_only', 'safe_globals', 'allowlist', 'allow-list')
TINY = dict(depths=(1, 1, 1, 1), embed_dims=(16, 32, 64, 64), head_dim=16)


class _Payload:
    """Unpickling it calls ``eval`` on code that writes a marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (eval, (f"open({self.marker!r}, 'w').write('ran')", ))


def _good(tmp_path):
    path = tmp_path / 'good.pth'
    torch.save({'state_dict': {'w': torch.randn(64, 64)}}, path)
    return path


def make_bad(tmp_path, kind):
    """A damaged or hostile file of ``kind``, from a real torch.save."""
    good = _good(tmp_path)
    data = good.read_bytes()
    path = tmp_path / f'{kind}.pth'
    if kind == 'empty':
        path.write_bytes(b'')
    elif kind == 'truncated':  # a save killed halfway
        path.write_bytes(data[:len(data) // 2])
    elif kind == 'crc':  # one byte of tensor data flipped after writing
        with zipfile.ZipFile(good) as archive:
            info = next(i for i in archive.infolist()
                        if i.filename.endswith('data/0'))
        name_len, extra_len = struct.unpack(
            '<HH', data[info.header_offset + 26:info.header_offset + 30])
        at = info.header_offset + 30 + name_len + extra_len + 10
        damaged = bytearray(data)
        damaged[at] ^= 0xFF
        path.write_bytes(bytes(damaged))
    elif kind == 'html':  # a download page saved instead of the file
        path.write_text('<!DOCTYPE html><html>Virus scan warning</html>\n')
    elif kind == 'garbage_zip':  # a zip with a data.pkl of garbage
        with zipfile.ZipFile(path, 'w') as archive:
            archive.writestr('archive/data.pkl', os.urandom(512))
    elif kind == 'legacy_truncated':
        legacy = tmp_path / 'legacy.pth'
        torch.save({'w': torch.zeros(8)}, legacy,
                   _use_new_zipfile_serialization=False)
        path.write_bytes(legacy.read_bytes()[:100])
    elif kind == 'unsafe':
        torch.save({'state_dict': {'w': torch.zeros(2)},
                    'x': _Payload(tmp_path / 'PWNED')}, path)
    return path


# kind -> words the reason must hold
REASONS = {
    'empty': '0 bytes',
    'truncated': 'truncated',
    'crc': 'CRC',
    'html': 'HTML page',
    'garbage_zip': 'torch.save did not write',
    'legacy_truncated': 'legacy format',
    'unsafe': 'unsafe pickle',
}


def _assert_clean(msg, path):
    assert str(path) in msg and 'not a readable checkpoint' in msg, msg
    for advice in UNSAFE_ADVICE:
        assert advice not in msg, (advice, msg)
    assert 'hasRecord' not in msg and 'add_safe_globals' not in msg


@pytest.mark.parametrize('kind', sorted(REASONS))
def test_reader_names_the_file_and_the_reason(tmp_path, kind):
    path = make_bad(tmp_path, kind)
    assert REASONS[kind] in checkpoint_unreadable(str(path))
    with pytest.raises(UnreadableCheckpointError) as info:
        read_checkpoint(str(path))
    _assert_clean(str(info.value), path)
    assert REASONS[kind] in str(info.value)
    if kind != 'unsafe':
        assert 'download or save it again' in str(info.value)
    assert not (tmp_path / 'PWNED').exists()


def test_crc_damage_is_caught_although_torch_reads_it(tmp_path):
    """torch.load returns wrong numbers from a CRC-damaged file without a
    word; the reader checks every member first."""
    path = make_bad(tmp_path, 'crc')
    torch.load(path, weights_only=True)  # no error from torch
    with pytest.raises(UnreadableCheckpointError, match='CRC'):
        read_checkpoint(str(path))


def test_good_and_legacy_files_read(tmp_path):
    good = _good(tmp_path)
    assert checkpoint_unreadable(str(good)) is None
    assert read_checkpoint(str(good))['state_dict']['w'].shape == (64, 64)
    legacy = tmp_path / 'legacy.pth'
    torch.save({'w': torch.ones(3)}, legacy,
               _use_new_zipfile_serialization=False)
    assert checkpoint_unreadable(str(legacy)) is None
    assert read_checkpoint(str(legacy))['w'].sum() == 3


def test_unsafe_pickle_via_init_cfg_is_named_as_unsafe(tmp_path):
    """Before: 'empty, truncated ... ' and torch's ``add_safe_globals([eval])``
    advice. Now: the file, 'unsafe pickle', the object, nothing run."""
    from mmuniformer.models import UniFormer3D
    path = make_bad(tmp_path, 'unsafe')
    model = UniFormer3D(arch=dict(TINY), init_cfg=dict(type='Pretrained',
                                                        checkpoint=str(path)))
    with pytest.raises(UnreadableCheckpointError) as info:
        model.init_weights()
    msg = str(info.value)
    _assert_clean(msg, path)
    assert 'unsafe pickle' in msg and 'eval' in msg
    assert 'empty' not in msg and 'truncated' not in msg
    assert not (tmp_path / 'PWNED').exists()


@pytest.mark.parametrize('kind', ['unsafe', 'garbage_zip', 'truncated'])
def test_unreadable_load_from_is_named(tmp_path, kind):
    """Before: raw ``UnpicklingError ... weights_only=False will likely
    succeed`` (unsafe) and ``Expected hasRecord("version")`` (a zip of
    garbage), no file named. Now the configs' OfficialCheckpointHook names
    it before mmengine opens it."""
    path = make_bad(tmp_path, kind)
    from toy_recognizer import toy_recognizer_runner
    runner = toy_recognizer_runner(tmp_path / 'work', path)
    with pytest.raises(UnreadableCheckpointError) as info:
        runner.call_hook('before_run')
        runner.load_or_resume()
    _assert_clean(str(info.value), path)
    assert REASONS[kind] in str(info.value)
    assert not (tmp_path / 'PWNED').exists()
