"""Packaging for mmuniformer.

torch/torchvision and mmcv are deliberately *not* in ``install_requires``:
pip cannot resolve them correctly (mmcv 2.1.0 must be compiled against the
installed torch with ``--no-build-isolation``; torch must keep the user's own
build). ``tools/install.sh`` installs them in the right order.
"""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))
# What mim reads from an installed package: <pkg>/.mim/model-index.yml, the
# metafiles it imports and the configs they name (relative to .mim/).
MIM_ITEMS = ('configs', 'tools', 'model-index.yml')


def add_mim_extension():
    """Expose configs/, tools/ and model-index.yml as ``mmuniformer/.mim``:
    relative symlinks for editable installs (edits show at once), real
    copies for wheel / sdist builds (shipped through package_data)."""
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink'
    elif any(cmd in sys.argv for cmd in ('sdist', 'bdist_wheel', 'build',
                                          'build_py', 'install')):
        mode = 'copy'
    else:
        return
    mim_dir = osp.join(HERE, 'mmuniformer', '.mim')
    os.makedirs(mim_dir, exist_ok=True)
    for item in MIM_ITEMS:
        src, dst = osp.join(HERE, item), osp.join(mim_dir, item)
        if not osp.exists(src) or (mode == 'copy' and osp.islink(dst)):
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_dir), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns(
                '__pycache__', '*.pyc'))
        else:
            shutil.copyfile(src, dst)


def read_version():
    scope = {}
    with open(osp.join(HERE, 'mmuniformer', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def read_readme():
    path = osp.join(HERE, 'README.md')
    if not osp.exists(path):
        return ''
    with open(path, encoding='utf-8') as f:
        return f.read()


add_mim_extension()

setup(
    name='mmuniformer',
    version=read_version(),
    description='UniFormer backbones (video 3D and dense 2D) for the '
    'OpenMMLab 2.0 stack: MMAction2, MMDetection, MMSegmentation, MMPose',
    long_description=read_readme(),
    long_description_content_type='text/markdown',
    python_requires='>=3.9',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'tools')),
    include_package_data=True,
    package_data={'mmuniformer': ['labels/*.txt', '.mim/**/*']},
    install_requires=[
        'mmengine==0.10.7',
        'setuptools>=77.0.3,<82',
        'numpy',
    ],
    extras_require={
        'hosts': [
            'mmdet==3.3.0', 'mmsegmentation==1.2.2', 'ftfy', 'regex',
            'mmaction2==1.2.0', 'importlib-metadata', 'mmpose==1.3.2',
            'decord', 'av', 'openmim==0.3.9',
            'mmpretrain==1.2.0', 'mat4py',
        ],
        'tests': ['pytest'],
        # tools/deployment/export_onnx.py (versions measured together with
        # torch 2.13, see docs/user_guides/deployment.md)
        'deploy': ['onnx==1.23.*', 'onnxruntime==1.32.*', 'onnxscript==0.7.*'],
        # MMAction2's tools/visualizations/vis_cam.py imports moviepy.editor,
        # which only moviepy 1.x has; moviepy 1.0.3 writes no mp4 with
        # decorator 5 (docs/user_guides/visualization.md)
        # official weights by name (mmuniformer/checkpoint/download.py):
        # the hub's and Google Drive's own clients
        'weights': ['huggingface_hub>=0.20', 'gdown>=5.2'],
        # tools/demo/web_demo.py and its browser test (Debian's chromium +
        # chromium-driver, installed by tools/install.sh)
        'web': ['gradio>=4.44', 'gradio_client', 'selenium>=4.10'],
        'vis': ['moviepy==1.0.3', 'decorator<5', 'imageio', 'imageio-ffmpeg',
                'proglog'],
    },
    license='Apache-2.0',
    zip_safe=False,
)
