"""The benchmark tool: alternating runs, ratios that show a slowed path,
identical outputs across implementations, markdown + JSON output, the data
pipeline rate. No timing asserts on our models: speed is measured by the
tool, never by a unit test."""
import json
import os.path as osp
import sys
import time

import pytest
import torch
from torch import nn

from conftest import REPO  # noqa: E402  (the repository root)
sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))

import benchmark  # noqa: E402

TINY_VIDEO = ['--depths', '1', '1', '1', '1', '--iters', '1', '--warmup',
              '0']


def test_runs_alternate():
    order = []
    times = benchmark.alternate({'a': lambda: order.append('a'),
                                 'b': lambda: order.append('b')}, iters=2,
                                warmup=1)
    assert order == ['a', 'b'] * 3
    assert [len(t) for t in times.values()] == [2, 2]  # warm-up dropped


def test_ratio_shows_a_path_made_slower_on_purpose():
    """Same model twice, one copy sleeps 0.2 s in every forward: the tool's
    speed-up of the other over it must show it (a tiny forward takes a few
    ms, so the true ratio is > 10)."""
    fast = nn.Sequential(nn.Conv2d(3, 8, 3), nn.GELU()).eval()
    slow = nn.Sequential(nn.Conv2d(3, 8, 3), nn.GELU()).eval()
    slow.load_state_dict(fast.state_dict())
    slow.register_forward_hook(lambda *_: time.sleep(0.2))
    rows = benchmark.compare({'fast': fast, 'slowed': slow},
                             torch.randn(1, 3, 32, 32), train=False,
                             iters=3, warmup=0, memory=False)
    by_name = {r['impl']: r for r in rows}
    assert by_name['slowed']['speedup'] == 1.0  # the baseline (last)
    assert by_name['fast']['speedup'] > 3
    assert by_name['slowed']['ms'] >= 200
    assert by_name['fast']['max_diff'] == 0  # same weights, same outputs


def test_cpu_peak_memory_counts_each_allocation_once():
    """40 MB allocated by ``torch.ones`` (which allocates in a nested
    ``aten::empty``) and freed: the peak is 40 MB, not 80."""
    numel = 10 * 2**20  # float32: 40 MB

    def step():
        return torch.ones(numel).add_(1).sum()

    peak = benchmark.peak_memory_mb(step, 'cpu')
    assert 39.5 < peak < 41, peak

    def two_live():
        a = torch.ones(numel)
        b = torch.ones(numel)
        return (a + b).sum()  # a, b and a + b live at once: 120 MB

    assert 119 < benchmark.peak_memory_mb(two_live, 'cpu') < 122


def test_video_table_ours_vs_port(tmp_path):
    out = str(tmp_path / 'bench')
    rows = benchmark.main(['--tables', 'video', *TINY_VIDEO, '--frames', '4',
                           '--size', '32', '--modes', 'train', '--out', out])
    assert [r['impl'] for r in rows] == [
        'ours', 'ours plain ops', 'ours contiguous', 'mmaction2 port']
    port = rows[-1]
    assert port['speedup'] == 1.0 and port['peak_mb'] > 0
    for row in rows:  # same weights, same outputs, fp32
        assert row['max_diff'] < 1e-4
        assert row['model_gflops_per_s'] > 0
    assert rows[0]['input'] == '2x3x4x32x32' and rows[0]['mode'] == 'train'
    saved = json.load(open(out + '.json'))
    assert saved['rows'][0]['impl'] == 'ours'
    table = open(out + '.md').read()
    assert '| mmaction2 port |' in table and 'speed-up vs baseline' in table


def test_dense_table_ours_vs_explicit_attention():
    rows = benchmark.main(['--tables', 'dense', *TINY_VIDEO, '--dense-shape',
                           '96', '128', '--no-memory', '--no-flops'])
    assert [r['impl'] for r in rows] == [
        'ours', 'ours plain ops', 'ours contiguous', 'explicit attention']
    for row in rows:
        assert row['max_diff'] < 1e-4


def test_explicit_attention_path_is_explicit():
    """The dense baseline really computes attention by hand (no SDPA)."""
    from torch.profiler import profile

    from mmuniformer.models import UniFormer
    model = UniFormer(dict(depths=(1, 1, 1, 1), embed_dims=(16, 32, 64, 64),
                           head_dim=16)).eval()
    explicit = benchmark.explicit_attention_copy(model)
    x = torch.randn(1, 3, 64, 64)
    ops = {}
    for name, m in (('ours', model), ('explicit', explicit)):
        with profile() as prof, torch.no_grad():
            m(x)
        ops[name] = {e.name for e in prof.events()}
    assert 'aten::scaled_dot_product_attention' in ops['ours']
    assert 'aten::scaled_dot_product_attention' not in ops['explicit']
    assert 'aten::softmax' in ops['explicit']
    # and with plain PyTorch products, as the official code
    assert 'mkldnn::_linear_pointwise' not in ops['explicit']


def test_pipeline_rate_on_real_clips(shared_data):
    rows = benchmark.main(['--tables', 'pipeline', '--pipeline-clips', '2',
                           '--pipeline-batch', '1', '--workers', '0',
                           '--video-dir',
                           osp.join(shared_data, 'video')])
    assert [r['pipeline'] for r in rows] == list(benchmark.PIPELINE_CONFIGS)
    for row in rows:
        assert row['clips'] > 0 and row['clips_per_s'] > 0
        assert row['clip_shape'].endswith('224x224')


def test_transforms_table_stock_vs_ours(shared_data):
    """Stock and ours side by side for the K400 family, train and test,
    per-transform CPU times, test outputs identical, cores per GPU from a
    given GPU step."""
    rows = benchmark.main(['--tables', 'transforms', '--families',
                           'K400 dense (S', '--pipeline-videos', '1',
                           '--no-memory', '--gpu-step-ms', '1000',
                           '--video-dir', osp.join(shared_data, 'video')])
    assert [(r['split'], r['impl']) for r in rows] == [
        ('train', 'stock'), ('train', 'ours'), ('test', 'stock'),
        ('test', 'ours')]
    stock, ours = rows[0], rows[1]
    assert any('TorchVisionWrapper' in k for k in stock['transforms_ms'])
    assert any('ClipRandAugment' in k for k in ours['transforms_ms'])
    assert any('DecordDecode' in k for k in stock['transforms_ms'])
    assert any('PyAVSeekDecode' in k for k in ours['transforms_ms'])
    for r in rows:
        assert r['clips_per_s_per_core'] > 0
        assert r['speedup'] == pytest.approx(
            rows[0 if r['split'] == 'train' else 2]['cpu_ms_per_video'] /
            r['cpu_ms_per_video'])
    # config batch 4 videos x 2 repeats in 1 s: 8 clips/s of GPU
    assert ours['batch_clips'] == 8 and ours['gpu_clips_per_s'] == 8
    assert ours['cores_per_gpu'] == pytest.approx(
        8 / ours['clips_per_s_per_core'])
    assert rows[3]['outputs_identical'] is True


def test_decoders_table_same_indices_and_named_differences(shared_data,
                                                           monkeypatch):
    """Every decoder reads the same sampled indices of the real clips; ours
    is identical to decord there, a decoder that alters one frame is caught
    at that position, and one that cannot run here is reported, not
    fatal."""
    real = benchmark.decoders()

    def altered(path, inds):
        frames = real['ours PyAVSeekDecode'](path, inds).copy()
        frames[2] ^= 1  # one frame, one bit of every value
        return frames

    def missing(path, inds):
        raise ModuleNotFoundError("No module named 'torchcodec'")

    monkeypatch.setattr(benchmark, 'decoders', lambda: {
        'decord (1 thread)': real['decord (1 thread)'],
        'ours PyAVSeekDecode': real['ours PyAVSeekDecode'],
        'MMAction2 PyAVDecode': real['MMAction2 PyAVDecode'],
        'altered': altered, 'torchcodec exact': missing,
        'floor: decode, no RGB': real['floor: decode, no RGB']
    })
    rows = benchmark.main(['--tables', 'decoders', '--families',
                           'K400 test', '--pipeline-videos', '1',
                           '--video-dir', osp.join(shared_data, 'video')])
    by = {r['decoder']: r for r in rows}
    assert [r['pattern'] for r in rows] == ['K400 test 4 x 16x4'] * 6
    assert by['decord (1 thread)']['speedup'] == 1.0
    assert by['ours PyAVSeekDecode']['differs'] == []
    assert by['ours PyAVSeekDecode']['frames_per_video'] == 64
    assert by['ours PyAVSeekDecode']['cpu_ms_per_video'] > 0
    assert len(by['altered']['differs']) == 3  # each of the three clips
    assert all('1 of 64 frames (positions [2])' in d
               for d in by['altered']['differs'])
    assert by['torchcodec exact']['error'].startswith('ModuleNotFoundError')
    assert 'cpu_ms_per_video' not in by['torchcodec exact']
    # the floor decodes (time counted) but keeps no frame to compare
    floor = by['floor: decode, no RGB']
    assert floor['cpu_ms_per_video'] > 0 and floor['differs'] == []


def test_decoders_all_named_are_candidates():
    """The table offers the decoders issue 19 asks to choose among."""
    names = ' '.join(benchmark.decoders())
    for want in ('decord (1 thread)', 'decord (auto threads)', 'PyAVDecode',
                 'ours PyAVSeekDecode', '2 threads', 'torchcodec exact',
                 'torchcodec approximate', 'floor'):
        assert want in names


def test_mim_test_table_times_each_video_from_the_test_log(shared_data):
    """``mim test`` runs with the stock and the shipped test pipeline; the
    per-video step and loading times come from the test loop's log lines
    (the first video dropped: start-up)."""
    rows = benchmark.main(['--tables', 'mimtest', '--families', 'K400',
                           '--pipeline-videos', '1',
                           '--video-dir', osp.join(shared_data, 'video')])
    assert [r['impl'] for r in rows] == ['stock', 'ours']
    for r in rows:
        assert r['videos'] == 2  # three clips, the first dropped
        assert 0 < r['data_s_per_video'] < r['s_per_video']
    assert rows[0]['speedup'] == 1.0
    assert rows[1]['data_speedup'] == pytest.approx(
        rows[0]['data_s_per_video'] / rows[1]['data_s_per_video'])


def test_transforms_table_draws_the_same_clip_for_stock_and_ours(
        shared_data, tmp_path):
    """Under the table's seeding, stock and ours train on the same clip
    offsets and augmentation draws: their K400 training outputs agree up to
    the documented warp tolerance (< 2 % of the values), which different
    draws would not (different frames, crops and ops)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(osp.join(REPO, benchmark.PIPELINE_FAMILIES[0][1]))
    init_default_scope('mmaction')
    ann = tmp_path / 'list.txt'
    ann.write_text('test.mp4 0\n')
    video_dir = osp.join(shared_data, 'video')
    loader = cfg.train_dataloader
    pipeline = loader.dataset.pipeline
    stock, _ = benchmark._build_dataset(
        loader, benchmark.stock_pipeline(pipeline), str(ann), video_dir)
    ours, _ = benchmark._build_dataset(
        loader, benchmark.fast_pipeline(pipeline), str(ann), video_dir)
    outs = []
    for dataset in (stock, ours):
        benchmark._seed_all(3)
        outs.append(torch.stack([s['inputs'] for s in dataset[0]]))
    differ = (outs[0] != outs[1]).float().mean().item()
    assert outs[0].shape == outs[1].shape
    assert differ < 0.02, differ
