"""tools/visualizations/vis_attention.py: the command line writes the
overlays and the command of docs/user_guides/visualization.md runs. The
recorded maps themselves (mmuniformer.analysis.attention) are tested in
tests/test_analysis/test_attention.py."""
import os.path as osp

import numpy as np
from conftest import REPO, load_script
from test_tools.test_doc_commands import demo_dir  # noqa: F401 (fixture)

vis = load_script(osp.join(REPO, 'tools', 'visualizations',
                           'vis_attention.py'), 'vis_attention')


def test_cli_writes_overlays(tmp_path, shared_data):
    video = osp.join(shared_data, 'video', 'test.mp4')
    image = osp.join(shared_data, 'coco_pose', '000000000785.jpg')
    arch = ['--arch', 'xxs', '--light', '--size', '128', '--frames', '4']
    vis.main([video, *arch, '--out', str(tmp_path / 'v.gif')])
    vis.main([image, *arch, '--mode', 'kept', '--out',
              str(tmp_path / 'k.png')])
    from PIL import Image
    gif = Image.open(tmp_path / 'v.gif')
    assert gif.n_frames == 4 and gif.size == (128, 128)
    png = np.asarray(Image.open(tmp_path / 'k.png'))
    assert png.shape == (128, 128, 3) and png.std() > 10


def test_visualization_doc_command_runs(demo_dir):
    """The vis_attention block of docs/user_guides/visualization.md, as
    written, in a scratch folder laid out like the motion demo's."""
    from test_tools.test_doc_commands import blocks, run_block
    block = [b for b in blocks('docs/user_guides/visualization.md')
             if 'vis_attention' in b]
    assert len(block) == 1
    run_block(block[0], demo_dir)
    from PIL import Image
    gif = Image.open(demo_dir / 'demo_out' / 'attention.gif')
    assert gif.n_frames == 8 and gif.size == (64, 64)
