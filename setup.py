"""Packaging for mmuniformer.

torch/torchvision and mmcv are deliberately *not* in ``install_requires``:
pip cannot resolve them correctly (mmcv 2.1.0 must be compiled against the
installed torch with ``--no-build-isolation``; torch must keep the user's own
build). ``tools/install.sh`` installs them in the right order.
"""
import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


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
        ],
        'tests': ['pytest'],
    },
    license='Apache-2.0',
    zip_safe=False,
)
