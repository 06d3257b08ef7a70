#!/usr/bin/env bash
# One entry point that sets up the whole mmuniformer stack in the current Python
# environment (use a venv if you want isolation). Idempotent: on a ready machine
# it only runs the checks in tools/install_state.py and exits in seconds.
#
#   bash tools/install.sh            # install what is missing
#   PYTHON=/path/to/python bash tools/install.sh
#
# Environment knobs: PYTHON (default python3), MAX_JOBS (mmcv compile, default nproc).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
export MAX_JOBS="${MAX_JOBS:-$(nproc)}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
TORCH_VERSION=2.13.0
TORCHVISION_VERSION=0.28.0

log() { printf '[install] %s\n' "$*" >&2; }
die() { printf '[install] ERROR: %s\n' "$*" >&2; exit 1; }
pip() { "$PY" -m pip "$@"; }
state() { "$PY" "$REPO/tools/install_state.py" "$REPO"; }

"$PY" -c 'import sys; assert sys.version_info >= (3, 9), sys.version' \
  || die "$PY is not Python >= 3.9"
start=$(date +%s)
todo="$(state)"
if [ -z "$todo" ]; then
  log "everything is installed and working ($(($(date +%s) - start)) s)"
  exit 0
fi
log "to do: $(echo $todo)"

# --- 1. torch / torchvision -------------------------------------------------
# A working pair the user already has (e.g. their own CUDA build) is kept.
# Otherwise the pair is installed together from the package index. '===' is
# PEP 440 arbitrary equality: it refuses local builds such as '2.13.0+cpu' that
# a find-links directory may offer, whose torchvision then fails to import
# ("operator torchvision::nms does not exist").
if grep -qx torch <<<"$todo"; then
  if "$PY" -c 'import torch' 2>/dev/null; then
    have=$("$PY" -c 'import torch; print(torch.__version__)')
    case "$have" in
      "$TORCH_VERSION"|"$TORCH_VERSION"+*) ;;
      *) die "torch $have is installed but torchvision is missing or broken. Install the torchvision that matches torch $have, or remove torch to let this script install torch $TORCH_VERSION + torchvision $TORCHVISION_VERSION.";;
    esac
  fi
  log "installing torch $TORCH_VERSION + torchvision $TORCHVISION_VERSION from the package index"
  pip install "torch===$TORCH_VERSION" "torchvision===$TORCHVISION_VERSION"
  "$PY" "$REPO/tools/install_state.py" "$REPO" | grep -qx torch \
    && die "torchvision.ops.nms does not run after installing the torch pair; see README 'Troubleshooting'"
fi
# Pin the *distribution* versions (what pip compares), e.g. '2.13.0' for the
# index build even though torch.__version__ says '2.13.0+cu130'.
TV=$("$PY" -c 'import importlib.metadata as m; print(m.version("torch"), m.version("torchvision"))')
CONSTRAINTS="$(mktemp)"
trap 'rm -f "$CONSTRAINTS"' EXIT
read -r tv_torch tv_vision <<<"$TV"
printf 'torch===%s\ntorchvision===%s\n' "$tv_torch" "$tv_vision" >"$CONSTRAINTS"
log "torch $tv_torch / torchvision $tv_vision pinned for every later pip call"
pipc() { pip "$@" -c "$CONSTRAINTS"; }

# --- 2. build tools + mmengine + mmcv with compiled ops ---------------------
# setuptools < 82 keeps pkg_resources (mmcv's setup.py and mmengine's
# 'mmdet::' config bases import it); >= 77.0.3 is what torch 2.13 asks for.
pipc install "setuptools>=77.0.3,<82" wheel ninja cython "numpy>=2" \
  "mmengine==0.10.7"
if grep -qx mmcv <<<"$todo"; then
  log "building mmcv 2.1.0 with ops from source (about 10 min on 2 cores; pip's wheel cache spares later installs)"
  # --no-build-isolation: the build must see the installed torch, or the
  # ops are silently skipped (mmcv._ext missing).
  MMCV_WITH_OPS=1 pipc install --no-build-isolation "mmcv==2.1.0"
  "$PY" -c 'import mmcv._ext' || die "mmcv 2.1.0 built without its compiled ops (mmcv._ext)"
fi

# --- 3. host packages -------------------------------------------------------
if grep -qE '^(hosts|xtcoco)$' <<<"$todo"; then
  # chumpy's setup.py imports pip: no build isolation.
  pipc install --no-build-isolation chumpy
  pipc install "mmdet==3.3.0" "mmsegmentation==1.2.2" ftfy regex \
    "mmaction2==1.2.0" importlib-metadata "mmpose==1.3.2" decord av \
    "mmpretrain==1.2.0" mat4py \
    "openmim==0.3.9" "setuptools>=77.0.3,<82" pytest
  # The xtcocotools wheel is compiled against numpy 1.x; rebuild against numpy 2.
  if ! "$PY" -c 'import xtcocotools._mask' 2>/dev/null; then
    log "rebuilding xtcocotools against numpy $("$PY" -c 'import numpy; print(numpy.__version__)')"
    pipc install --no-binary xtcocotools --no-build-isolation --force-reinstall \
      --no-deps xtcocotools
  fi
fi

# --- 4. mmuniformer itself (editable) with its extras -------------------------
# extras: deploy (ONNX export + onnxruntime), vis (MMAction2's Grad-CAM tool),
# weights (hub / Drive clients), web (Gradio demo + selenium)
pipc install --no-build-isolation -e "$REPO[tests,deploy,vis,weights,web]"

# --- 5. the browser of the web demo's test: Debian's chromium + its driver ---
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  command -v apt-get >/dev/null \
    || die "chromium + chromedriver are needed by tests/test_tools/test_web_demo.py; install them with your package manager"
  log "installing Debian's chromium + chromium-driver (web demo browser test)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
fi

left="$(state)"
[ -z "$left" ] || die "still not ready after install: $(echo $left)"
log "done in $(($(date +%s) - start)) s"
