"""Report which parts of the mmuniformer stack are missing or broken.

Used by ``tools/install.sh`` so that a second run on a ready machine does no
pip work at all. Prints one step name per line (nothing when all is ready):

    torch      torch/torchvision missing or torchvision.ops.nms does not run
    mmcv       mmcv 2.1.0 with compiled ops (mmcv._ext) missing
    hosts      a host package / runtime dependency missing or at another version
    xtcoco     xtcocotools does not import against the installed numpy
    self       mmuniformer not installed in editable mode from this checkout
    extras     the deploy / vis extras missing (onnx, onnxruntime, onnxscript;
               moviepy 1.x with decorator < 5)
    web        the weights / web extras (huggingface_hub, gdown, gradio,
               gradio_client, selenium) or Debian's chromium +
               chromium-driver (the web demo's browser test) missing
"""
import importlib
import importlib.util
import importlib.metadata as md
import os
import sys

PINS = {
    'mmengine': '0.10.7',
    'mmdet': '3.3.0',
    'mmsegmentation': '1.2.2',
    'mmaction2': '1.2.0',
    'mmpose': '1.3.2',
    'mmpretrain': '1.2.0',
    'openmim': '0.3.9',
}
PRESENT = ['decord', 'ftfy', 'regex', 'importlib-metadata', 'chumpy',
           'xtcocotools', 'pytest', 'av',
           'mat4py']  # mat4py: imported by mmpretrain.datasets


def _version(dist):
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def torch_ok():
    try:
        import torch
        import torchvision
        boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.]])
        keep = torchvision.ops.nms(boxes, torch.tensor([0.9, 0.8]), 0.5)
        return keep.tolist() == [0]
    except Exception:  # noqa: BLE001 - any failure means "reinstall"
        return False


def mmcv_ok():
    if _version('mmcv') != '2.1.0':
        return False
    try:
        importlib.import_module('mmcv._ext')
        return True
    except Exception:  # noqa: BLE001
        return False


def hosts_ok():
    if any(_version(d) != v for d, v in PINS.items()):
        return False
    return all(_version(d) is not None for d in PRESENT)


def xtcoco_ok():
    try:
        importlib.import_module('xtcocotools._mask')
        return True
    except Exception:  # noqa: BLE001
        return False


def self_ok(repo):
    try:
        spec = importlib.util.find_spec('mmuniformer')
    except Exception:  # noqa: BLE001
        return False
    if spec is None or spec.origin is None or _version('mmuniformer') is None:
        return False
    return os.path.realpath(spec.origin).startswith(
        os.path.realpath(repo) + os.sep)


def extras_ok():
    """setup.py extras 'deploy' and 'vis' (installed by install.sh)."""
    if any(_version(d) is None for d in (
            'onnx', 'onnxruntime', 'onnxscript', 'imageio', 'imageio-ffmpeg',
            'proglog')):
        return False
    moviepy, decorator = _version('moviepy'), _version('decorator')
    return bool(moviepy and moviepy.startswith('1.') and decorator
                and int(decorator.split('.')[0]) < 5)


def web_ok():
    """setup.py extras 'weights' and 'web', and the browser the web demo
    is tested in (Debian's chromium and its driver, never a downloaded
    browser build)."""
    import shutil
    if any(_version(d) is None for d in (
            'huggingface-hub', 'gdown', 'gradio', 'gradio-client',
            'selenium')):
        return False
    return all(shutil.which(b) for b in ('chromium', 'chromedriver'))


def main():
    repo = sys.argv[1] if len(sys.argv) > 1 else os.getcwd()
    sys.path[:] = [p for p in sys.path if os.path.realpath(p or '.') !=
                   os.path.realpath(repo)]
    checks = [('torch', torch_ok), ('mmcv', mmcv_ok), ('hosts', hosts_ok),
              ('xtcoco', xtcoco_ok), ('self', lambda: self_ok(repo)),
              ('extras', extras_ok), ('web', web_ok)]
    for name, check in checks:
        if not check():
            print(name)


if __name__ == '__main__':
    main()
