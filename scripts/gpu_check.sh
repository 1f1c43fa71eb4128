#!/usr/bin/env bash
# The GPU verification of minigrad in one command. Exits 0 only when everything below ran and passed;
# otherwise it stops at the first failure with one line saying what failed and exits 1.
usage() {
  cat <<'EOF'
usage: bash scripts/gpu_check.sh [-h]

Verifies minigrad's CuPy path on an NVIDIA GPU, in this order:
  1. a GPU (nvidia-smi) and CuPy that minigrad can use;
  2. every test marked `gpu` passes (a skipped gpu test is a failure: it verified nothing);
  3. one epoch of lenet-bn-scratch and of lenet-bn on the GPU and on the CPU from the same seed:
     test accuracies within 0.02 of each other, and the GPU run's checkpoint, loaded on the CPU and moved
     back to the GPU, gives the same logits on a test batch;
  4. scripts/bench.py --device cuda --compare-torch (PyTorch must be installed): the two LeNet-BN
     variants, then the book's ResNet-18 and DenseNet per step (--models resnet18 densenet: batch 128,
     96x96, 5 repeats of 10 steps after 3 warm-up steps).
The last line says what passed.

environment:
  MINIGRAD_DATA   folder with the four Fashion-MNIST files (default: .gpu-data, an ignored folder)
  OUT             folder for the logs (default: runs/gpu-check)
EOF
}
case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") ;;
  *) echo "gpu_check.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/gpu-check}
DATA=${MINIGRAD_DATA:-.gpu-data}
mkdir -p "$OUT"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}  # minigrad and models/ from this checkout

fail() { echo "gpu_check: FAILED: $*"; exit 1; }

# 1. the device
command -v nvidia-smi >/dev/null || fail "no nvidia-smi on PATH: no NVIDIA driver or GPU here, nothing was verified"
gpu=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -n 1) \
  || fail "nvidia-smi found no usable GPU: nothing was verified"
[ -n "$gpu" ] || fail "nvidia-smi lists no GPU: nothing was verified"
echo "GPU: $gpu"
python -c "import minigrad, sys; minigrad.cuda.is_available() or sys.exit(minigrad.backend.cuda_unavailable_reason())" \
  2>"$OUT/cupy.log" || fail "minigrad cannot use the GPU: $(tail -n 1 "$OUT/cupy.log") (install CuPy: pip install -e '.[cuda13]')"

# 2. the gpu tests
set +e
python -m pytest -q -m gpu -p no:cacheprovider tests/ >"$OUT/gpu-tests.log" 2>&1
tests_rc=$?
set -e
summary=$(tail -n 1 "$OUT/gpu-tests.log")
[ "$tests_rc" -eq 0 ] || fail "gpu tests: $summary (exit $tests_rc; log: $OUT/gpu-tests.log)"
case "$summary" in *skipped*) fail "gpu tests: $summary: a skipped gpu test verified nothing (log: $OUT/gpu-tests.log)" ;; esac
echo "gpu tests: $summary"

# 3. one epoch of each LeNet-BN on both devices, same seed
[ -f "$DATA/train-images-idx3-ubyte.gz" ] || [ -f "$DATA/train-images-idx3-ubyte" ] \
  || fail "no Fashion-MNIST in $DATA: set MINIGRAD_DATA to the folder of its four files (or copy them to .gpu-data)"
python -c "import tqdm" 2>/dev/null || progress=--no-progress
for model in lenet-bn-scratch lenet-bn; do
  for device in cuda cpu; do
    python scripts/train_lenet.py --model "$model" --device "$device" --epochs 1 --seed 0 --data-dir "$DATA" \
      --out "$OUT/$model-$device" ${progress:---no-progress} >"$OUT/train-$model-$device.log" 2>&1 \
      || fail "$model on $device: the epoch failed: $(tail -n 1 "$OUT/train-$model-$device.log")"
  done
  python - "$OUT/$model" "$model" "$DATA" <<'EOF' || fail "$model: the GPU epoch does not match the CPU's (above)"
import json, sys
import numpy as np
import minigrad
from minigrad.data import load_fashion_mnist_arrays
from models import MODELS

run, model, data = sys.argv[1:]
acc = {d: json.load(open(f"{run}-{d}/metrics.json"))["epochs"][-1]["test_acc"] for d in ("cuda", "cpu")}
print(f"{model}: test acc after 1 epoch: cuda {acc['cuda']:.4f}, cpu {acc['cpu']:.4f}")
if abs(acc["cuda"] - acc["cpu"]) > 0.02:
    sys.exit(f"{model}: test accuracy on cuda {acc['cuda']:.4f} vs cpu {acc['cpu']:.4f} differ by more than 0.02")
state = minigrad.load(f"{run}-cuda/checkpoint.npz")["model"]
pixels = load_fashion_mnist_arrays(data, train=False, download=False)[0][:512]
images = minigrad.tensor(pixels[:, None].astype(np.float32) / 255)
logits = {}
for device in ("cpu", "cuda"):  # the GPU-trained weights on the CPU, then back on the GPU
    net = MODELS[model]().to(device)
    net.load_state_dict(state)
    net.eval()
    with minigrad.no_grad():
        logits[device] = net(images.to(device)).numpy()
err = float(np.abs(logits["cpu"] - logits["cuda"]).max())
print(f"{model}: checkpoint GPU -> CPU -> GPU, max logit difference {err:.2e}")
if err > 1e-3:
    sys.exit(f"{model}: the GPU checkpoint gives other logits on the CPU (max difference {err:.2e} > 1e-3)")
EOF
done

# 4. speed against PyTorch on the GPU
python -c "import torch" 2>/dev/null || fail "PyTorch is not installed: the speed comparison needs it (pip install -e '.[parity]')"
python scripts/bench.py --device cuda --compare-torch --no-memory --repeats 7 --steps 50 --json "$OUT/bench.json" \
  >"$OUT/bench.txt" 2>&1 || fail "bench.py --device cuda failed: $(tail -n 1 "$OUT/bench.txt") (log: $OUT/bench.txt)"
tail -n 6 "$OUT/bench.txt"
python scripts/bench.py --device cuda --compare-torch --no-memory --models resnet18 densenet --repeats 5 --steps 10 \
  --warmup 3 --json "$OUT/bench-cnn.json" >"$OUT/bench-cnn.txt" 2>&1 \
  || fail "bench.py --device cuda --models resnet18 densenet failed: $(tail -n 1 "$OUT/bench-cnn.txt") (log: $OUT/bench-cnn.txt)"
tail -n 10 "$OUT/bench-cnn.txt"
echo "gpu_check: PASSED on $gpu: gpu tests ($summary), one epoch of each LeNet-BN on cuda matching the cpu, checkpoint round trip, bench against PyTorch ($OUT/bench.json; ResNet-18 and DenseNet: $OUT/bench-cnn.json)"
