"""Every command shown in the user docs is checked here.

* every ``python tools/...`` command of a shell block names a script that
  exists, and the script's own argument parser accepts the command as
  written (so a renamed or removed option fails here); ``mim train/test``
  name existing configs, ``mim run mmaction <tool>`` an installed tool;
* the cheap commands run as written (in a scratch folder that has the
  repo's ``configs/`` and ``tools/`` and a ``demo_out/`` like the motion
  demo's, with generated clips and a checkpoint of the same model):
  ONNX export with both exporters and the onnxruntime snippet
  (deployment.md), feature extraction, Grad-CAM GIF/mp4/PNG
  (visualization.md), the corrupt-video finder and the CPU optimizer
  answers (faq.md).

Commands that need official checkpoints or hours (training a recipe,
``mim test`` with an official file) are covered by the first check only;
the motion demo itself runs in tests/test_hosts/test_video_e2e.py.
"""
import glob
import importlib.util
import os
import os.path as osp
import pickle
import re
import shlex
import subprocess

import numpy as np
import pytest
import torch

from conftest import REPO  # noqa: E402  (the repository root)
DOCS = ['README.md', 'docs/get_started.md', 'docs/faq.md',
        'docs/user_guides/train_test.md', 'docs/user_guides/checkpoints.md',
        'docs/user_guides/deployment.md',
        'docs/user_guides/visualization.md']
MOTION_CONFIG = ('configs/recognition/uniformer/'
                 'uniformer-tiny_scratch_1xb16-8x2x1-8e_motion-rgb.py')
# scripts whose command line is checked by their own parser
# takes the repo path, no options; run by tools/install.sh in CI
NO_PARSER = {'tools/install_state.py'}


def _read(doc):
    with open(osp.join(REPO, doc), encoding='utf-8') as f:
        return f.read()


def blocks(doc, lang='shell'):
    return re.findall(rf'```{lang}\n(.*?)```', _read(doc), flags=re.S)


def commands(block):
    """Command lines of a shell block: continuations joined, comments and
    heredoc bodies dropped, ``a && b`` split."""
    text = block.replace('\\\n', ' ')
    out, heredoc = [], None
    for line in text.splitlines():
        if heredoc:
            if line.strip() == heredoc:
                heredoc = None
            continue
        m = re.search(r"<<'?(\w+)'?", line)
        if m:
            heredoc = m.group(1)
        line = line.split(' #')[0].strip()
        if line and not line.startswith('#'):
            out += [part.strip() for part in line.split('&&')]
    return out


def all_commands():
    found = []
    for doc in DOCS:
        for block in blocks(doc):
            for cmd in commands(block):
                found.append(pytest.param(cmd, id=f'{doc}:{cmd[:60]}'))
    return found


def _load_tool(path):
    spec = importlib.util.spec_from_file_location(
        'doc_tool_' + re.sub(r'\W', '_', path), osp.join(REPO, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_exist_and_show_commands():
    for doc in DOCS:
        assert osp.isfile(osp.join(REPO, doc)), doc
    assert sum(len(blocks(d)) for d in DOCS) >= 15


def test_doc_links_point_to_files():
    for doc in DOCS:
        base = osp.dirname(osp.join(REPO, doc))
        for target in re.findall(r'\]\(([^)#\s]+)(?:#[^)]*)?\)', _read(doc)):
            if '://' in target:
                continue
            assert osp.exists(osp.normpath(osp.join(base, target))), \
                f'{doc} links {target}, which does not exist'


@pytest.mark.parametrize('cmd', all_commands())
def test_documented_command_is_valid(cmd):
    # '<det checkpoint>'-style placeholders are one argument
    tokens = shlex.split(re.sub(r'<[a-z][^<>]*>', 'PLACEHOLDER', cmd))
    if tokens[0] == 'cd' and len(tokens) == 2:
        return  # 'cd <run folder> && ...': the folder is made by the docs
    # after such a cd the repository's paths are '../<path>'
    tokens = [t[3:] if t.startswith('../configs/') else t for t in tokens]
    if tokens[0] in ('python', 'python3') and tokens[1:2] != ['-']:
        if tokens[1] in ('-c', '-m'):
            return  # inline snippets run below; pytest is run by CI
        script = tokens[1]
        assert osp.isfile(osp.join(REPO, script)), f'{script} is missing'
        if script in NO_PARSER:
            return
        module = _load_tool(script)
        try:
            module.parse_args(tokens[2:])
        except SystemExit as exc:  # argparse refuses the documented line
            pytest.fail(f'{script} rejects its documented command '
                        f'({exc.code}): {cmd}')
    elif tokens[0] == 'mim' and tokens[1] in ('train', 'test'):
        assert tokens[2] in ('mmaction', 'mmdet', 'mmseg', 'mmpose')
        assert osp.isfile(osp.join(REPO, tokens[3])), tokens[3]
    elif tokens[0] == 'mim' and tokens[1] == 'run':
        import mmaction
        assert tokens[2] == 'mmaction'
        tools = glob.glob(osp.join(osp.dirname(mmaction.__file__), '.mim',
                                   'tools', '**', tokens[3] + '.py'),
                          recursive=True)
        assert tools, f'mmaction has no tool {tokens[3]}'
    elif tokens[0] == 'bash':
        assert osp.isfile(osp.join(REPO, tokens[1])), tokens[1]
    elif tokens[0] in ('pip', 'python3', 'python'):
        return
    else:
        pytest.fail(f'a command the docs test does not know: {cmd}')


# --------------------------------------------------------------------------
# commands that run as written
# --------------------------------------------------------------------------
def _env():
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    return env


def run_block(block, cwd, timeout=600):
    res = subprocess.run(['bash', '-e', '-c', block], cwd=cwd, env=_env(),
                         capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, (block + res.stdout[-2000:]
                                 + res.stderr[-3000:])
    return res.stdout


@pytest.fixture(scope='module')
def demo_dir(tmp_path_factory):
    """A scratch cwd with configs/ and tools/ and a ``demo_out/`` laid
    out like the motion demo's (clips + a checkpoint of its model)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmuniformer  # noqa: F401
    from mmuniformer.datasets import make_motion_dataset
    root = tmp_path_factory.mktemp('docs')
    for name in ('configs', 'tools'):
        os.symlink(osp.join(REPO, name), root / name)
    make_motion_dataset(str(root / 'demo_out' / 'data' / 'motion'),
                        num_train=1, num_val=2)
    cfg = Config.fromfile(osp.join(REPO, MOTION_CONFIG))
    init_default_scope('mmaction')
    from mmaction.registry import MODELS
    model = MODELS.build(cfg.model)
    (root / 'demo_out' / 'train').mkdir()
    torch.save({'state_dict': model.state_dict(), 'meta': {}},
               root / 'demo_out' / 'train' / 'best_acc_top1_epoch_8.pth')
    return root


def test_deployment_doc_commands_run(demo_dir):
    """The motion model exported with each exporter and verified in
    onnxruntime (the legacy file would not load without non-negative
    layout dims), then the doc's onnxruntime snippet."""
    block = next(b for b in blocks('docs/user_guides/deployment.md')
                 if 'motion.onnx' in b)
    out = run_block(block, demo_dir)
    assert out.count('OK: max difference') == 2, out
    assert 'legacy (dynamo=False) exporter' in out
    snippet = next(b for b in blocks('docs/user_guides/deployment.md',
                                     'python') if 'onnxruntime' in b)
    scope = {}
    cwd = os.getcwd()
    os.chdir(demo_dir)
    try:
        exec(snippet, scope)
    finally:
        os.chdir(cwd)
    assert scope['scores'].shape == (2, 4)


def test_visualization_doc_commands_run(demo_dir):
    """Features (.pkl, then .npy), Grad-CAM as GIF, mp4 and a PNG strip."""
    runnable = [b for b in blocks('docs/user_guides/visualization.md')
                if 'motion_demo.py' not in b and 'vis_cam_image' not in b
                and 'vis_attention' not in b]  # run in test_vis_attention
    assert len(runnable) == 4
    for block in runnable:
        run_block(block, demo_dir)
    out = demo_dir / 'demo_out'
    for name in ('00000.mp4', '00001.mp4'):
        with open(out / 'features' / 'val' / f'{name}.pkl', 'rb') as f:
            feat = pickle.load(f)
        assert tuple(feat.shape) == (64, )  # the model's last stage width
        np.testing.assert_allclose(
            np.load(out / 'features' / 'val' / f'{name}.npy'), feat.numpy())
    import imageio.v2 as iio
    frames = iio.mimread(out / 'cam.gif')
    assert len(frames) == 8 and np.asarray(frames[0]).shape[:2] == (192, 192)
    assert (out / 'cam.mp4').stat().st_size > 1000
    strip = iio.imread(out / 'cam.png')
    assert strip.shape[:2] == (192, 4 * 192)


def test_faq_corrupt_video_finder(demo_dir):
    block = next(b for b in blocks('docs/faq.md') if 'decord' in b)
    motion = demo_dir / 'demo_out' / 'data' / 'motion'
    assert run_block(block, demo_dir).strip() == ''
    bad = motion / 'val' / 'truncated.mp4'
    bad.write_bytes((motion / 'val' / '00000.mp4').read_bytes()[:3000])
    with open(motion / 'val.txt', 'a') as f:
        f.write('val/truncated.mp4 0\n')
    try:
        lines = run_block(block, demo_dir).strip().splitlines()
    finally:
        bad.unlink()
        with open(motion / 'val.txt') as f:
            kept = [x for x in f if 'truncated' not in x]
        with open(motion / 'val.txt', 'w') as f:
            f.writelines(kept)
    assert len(lines) == 1 and lines[0].startswith(
        'demo_out/data/motion/val/truncated.mp4: ')


def test_faq_cpu_optimizer_overrides():
    """The FAQ's CPU answers: shipped training configs build an optimizer
    wrapper on a CPU-only machine (fp32, one warning), the documented
    ``dtype=float32`` override gives fp32 anywhere, and mmengine's own
    AmpOptimWrapper (which refuses CPU) is replaced by the documented type,
    ``loss_scale`` kept."""
    from mmengine.config import Config
    from mmengine.optim import AmpOptimWrapper, build_optim_wrapper

    import mmuniformer  # noqa: F401
    text = open(osp.join(REPO, 'docs/faq.md'), encoding='utf-8').read()
    assert '--cfg-options optim_wrapper.dtype=float32' in text
    assert 'optim_wrapper.type=mmuniformer.AmpOptimWrapper' in text
    model = torch.nn.Linear(2, 2)
    video = Config.fromfile(osp.join(REPO, 'configs/recognition/'
                                     'uniformer_b_sthv2.py'))
    wrapper = dict(video.optim_wrapper)
    wrapper.pop('paramwise_cfg')
    built = build_optim_wrapper(model, wrapper)
    if not torch.cuda.is_available():
        assert not isinstance(built, AmpOptimWrapper)
    video.merge_from_dict({'optim_wrapper.dtype': 'float32'})
    wrapper = dict(video.optim_wrapper)
    wrapper.pop('paramwise_cfg')
    assert type(build_optim_wrapper(model, wrapper)).__name__ == \
        'OptimWrapper'
    host = dict(type='AmpOptimWrapper', loss_scale='dynamic',
                optimizer=dict(type='SGD', lr=0.1))
    if not torch.cuda.is_available():
        with pytest.raises(AssertionError, match='only available'):
            build_optim_wrapper(model, host)
    host['type'] = 'mmuniformer.AmpOptimWrapper'
    assert build_optim_wrapper(model, host) is not None