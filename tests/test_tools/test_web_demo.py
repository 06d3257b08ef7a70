"""tools/demo/web_demo.py served on loopback, used as a person would
(Debian's Chromium, headless, driven by Selenium) and as a script would
(``gradio_client``).

The app runs in a subprocess with downloads off (``HF_HUB_OFFLINE=1``) and
an empty weights cache: the official choices must show the random-weights
banner, the motion model the checkpoint it is given. Needs the ``web``
extra and chromium + chromium-driver, which ``tools/install.sh`` installs;
under CI=true their absence fails the test instead of skipping it.
``MMUNIFORMER_UPDATE_SCREENSHOTS=1`` copies the screenshots into
``docs/images/``.
"""
import os
import os.path as osp
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from conftest import REPO, SHARED_DATA, skip_or_fail

SCRIPT = osp.join(REPO, 'tools', 'demo', 'web_demo.py')
VIDEO = osp.join(SHARED_DATA, 'video', 'test.mp4')
IMAGE = osp.join(SHARED_DATA, 'coco_pose', '000000000785.jpg')
# `import gradio` alone took 121 s on the loaded 2-core machine
STARTUP_S = 400


def need(module):
    try:
        __import__(module)
    except ImportError:
        skip_or_fail(f'{module} missing: run bash tools/install.sh (extras '
                     'web, weights)')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def motion_ckpt(tmp_path_factory):
    """A motion-model checkpoint (random init, mm format) standing in for
    the main job's ``best_*.pth``."""
    need('mmaction')
    import torch
    from mmaction.apis import init_recognizer
    from mmengine.config import Config

    import mmuniformer  # noqa: F401
    sys.path.insert(0, osp.dirname(SCRIPT))
    import web_demo
    sys.path.pop(0)
    cfg = Config.fromfile(web_demo.MOTION_CONFIG)
    cfg.model.backbone.init_cfg = None
    model = init_recognizer(cfg, None, device='cpu')
    path = str(tmp_path_factory.mktemp('motion') / 'best_acc_top1_epoch_8.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


@pytest.fixture(scope='module')
def server(motion_ckpt, tmp_path_factory):
    for module in ('gradio', 'gradio_client'):
        need(module)
    if not osp.isfile(VIDEO) or not osp.isfile(IMAGE):
        skip_or_fail(f'shared data missing: {VIDEO}, {IMAGE}')
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
                   [REPO] + [os.environ.get('PYTHONPATH', '')]),
               HF_HUB_OFFLINE='1',
               GRADIO_ANALYTICS_ENABLED='False', NO_PROXY='127.0.0.1',
               no_proxy='127.0.0.1', MMUNIFORMER_CACHE=str(
                   tmp_path_factory.mktemp('empty_cache')))
    log = open(tmp_path_factory.mktemp('log') / 'web_demo.log', 'w+')
    proc = subprocess.Popen(
        [sys.executable, SCRIPT, '--port', str(port),
         '--motion-checkpoint', motion_ckpt],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}/'
    deadline = time.time() + STARTUP_S
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                log.seek(0)
                pytest.fail(f'web demo did not start:\n{log.read()[-3000:]}')
            time.sleep(1)
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_gradio_client_video_and_image(server, motion_ckpt):
    from gradio_client import Client, handle_file
    client = Client(server, verbose=False)
    label, overlay, banner = client.predict(
        handle_file(VIDEO), 'motion (main job)', True, api_name='/video')
    names = [c['label'] for c in label['confidences']]
    assert set(names) == {'moving right', 'moving left', 'moving down',
                          'moving up'}
    # probabilities: the 4 classes of the motion head sum to 1
    assert abs(sum(c['confidence'] for c in label['confidences']) - 1) < 1e-4
    assert osp.basename(motion_ckpt) in banner
    assert overlay and osp.getsize(overlay) > 1000
    label, overlay, banner = client.predict(
        handle_file(IMAGE), list(__import__('web_demo').IMAGE_MODELS)[0],
        True, api_name='/image')
    assert len(label['confidences']) == 5
    assert 'Random weights' in banner  # empty cache, downloads off
    from PIL import Image
    assert Image.open(overlay).size == (128, 128)


def test_browser_upload_read_top5_and_screenshot(server, tmp_path):
    need('selenium')
    chromium, driver_bin = shutil.which('chromium'), shutil.which(
        'chromedriver')
    if not (chromium and driver_bin):
        skip_or_fail('chromium / chromedriver missing: run bash '
                     'tools/install.sh')
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ('--headless=new', '--no-sandbox', '--disable-gpu',
                '--disable-dev-shm-usage', '--window-size=1400,1000'):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(driver_bin), options=options)
    try:
        browser.get(server)
        wait = WebDriverWait(browser, 120)
        wait.until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, '#video_in input[type=file]')))
        browser.find_element(By.CSS_SELECTOR,
                             '#video_in input[type=file]').send_keys(VIDEO)
        time.sleep(2)
        browser.find_element(By.CSS_SELECTOR, '#video_run').click()
        wait.until(lambda b: 'moving' in b.find_element(
            By.CSS_SELECTOR, '#video_top5').text)
        top5 = browser.find_element(By.CSS_SELECTOR, '#video_top5').text
        assert sum(name in top5 for name in (
            'moving right', 'moving left', 'moving down', 'moving up')) == 4
        shots = [tmp_path / 'web_demo.png']
        browser.save_screenshot(str(shots[0]))
        # image classification tab
        tab = [b for b in browser.find_elements(By.CSS_SELECTOR, 'button')
               if b.text.strip() == 'Image classification']
        assert tab, 'no Image classification tab'
        tab[0].click()
        wait.until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, '#image_in input[type=file]')))
        browser.find_element(By.CSS_SELECTOR,
                             '#image_in input[type=file]').send_keys(IMAGE)
        time.sleep(2)
        browser.find_element(By.CSS_SELECTOR, '#image_run').click()
        wait.until(lambda b: b.find_elements(
            By.CSS_SELECTOR, '#image_overlay img'))
        wait.until(lambda b: 'Random weights' in b.find_element(
            By.CSS_SELECTOR, '#image_banner').text)
        src = browser.find_element(By.CSS_SELECTOR,
                                   '#image_overlay img').get_attribute('src')
        data = urllib.request.urlopen(src, timeout=10).read()
        assert data[:8] == b'\x89PNG\r\n\x1a\n'
        lines = [ln for ln in browser.find_element(
            By.CSS_SELECTOR, '#image_top5').text.splitlines() if ln.strip()]
        assert len(lines) >= 5
        shots.append(tmp_path / 'web_demo_image.png')
        browser.save_screenshot(str(shots[1]))
    finally:
        browser.quit()
    for shot in shots:
        assert osp.getsize(shot) > 10000
        if os.environ.get('MMUNIFORMER_UPDATE_SCREENSHOTS'):
            shutil.copy(shot, osp.join(REPO, 'docs', 'images',
                                       osp.basename(shot)))


def test_weights_come_from_the_cache_only_unless_download(tmp_path,
                                                         monkeypatch):
    """Official weights: the cached file by name, None (random weights +
    banner) when absent; a download is tried only with --download."""
    from types import SimpleNamespace

    from mmuniformer.checkpoint import download
    sys.path.insert(0, osp.dirname(SCRIPT))
    import web_demo
    sys.path.pop(0)
    config = web_demo.VIDEO_MODELS['UniFormer-S K400 16x8'][0]
    entry = SimpleNamespace(
        name='s_k400', filename='s_k400.pth', family='video', arch='small',
        config='configs/recognition/uniformer/' + osp.basename(config),
        urls=('http://127.0.0.1:9/s_k400.pth', ), sha256=None)
    table = SimpleNamespace(WEIGHTS={'s_k400': entry},
                            get_weights=lambda n: entry)
    monkeypatch.setattr(download, '_table', lambda: table)
    monkeypatch.setenv('MMUNIFORMER_CACHE', str(tmp_path))
    calls = []
    monkeypatch.setitem(download.FETCHERS, 'http',
                        lambda url, dst: calls.append(url))
    monkeypatch.setitem(web_demo.OPTIONS, 'download', False)
    assert web_demo.official_weights(config=config) is None
    assert calls == []
    assert 'Random weights' in web_demo.banner(None, 'x')
    monkeypatch.setitem(web_demo.OPTIONS, 'download', True)
    assert web_demo.official_weights(config=config) is None  # fetch failed
    assert calls == ['http://127.0.0.1:9/s_k400.pth']
    (tmp_path / 's_k400.pth').write_bytes(b'weights')
    monkeypatch.setitem(web_demo.OPTIONS, 'download', False)
    got = web_demo.official_weights(config=config)
    assert got == str(tmp_path / 's_k400.pth')
    assert 's_k400.pth' in web_demo.banner(got, 'x')
