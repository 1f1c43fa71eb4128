#!/usr/bin/env bash
# The whole GPU verification in one prepared command, for a bare GPU machine without internet
# (CuPy, NumPy, pytest and PyTorch preinstalled): install, the `gpu` tests, one epoch of each
# LeNet-BN on the GPU (and on the CPU for comparison), then the speed table against PyTorch.
#
#   bash scripts/gpu_check.sh            # data from $MINIGRAD_DATA, else .gpu-data/ (an ignored copy)
#
# Logs go to $OUT (default /tmp/minigrad-gpu). Ends in well under 10 minutes on an H100.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/minigrad-gpu}
mkdir -p "$OUT"
DATA=${MINIGRAD_DATA:-.gpu-data}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
pip install --no-build-isolation --no-deps -e . >"$OUT/install.log" 2>&1 || export PYTHONPATH=$PWD
python -c "import tqdm" 2>/dev/null || progress=--no-progress
python -c "import minigrad; print('minigrad.cuda.is_available():', minigrad.cuda.is_available())"

# --continue-on-collection-errors: the device image lacks hypothesis and mpi4py; the files that need them
# hold no gpu test of their own (NCCL's need two GPUs and MPI)
python -m pytest -q -m gpu --continue-on-collection-errors tests/ >"$OUT/gpu-tests.log" 2>&1
tests_rc=$?
tail -n 15 "$OUT/gpu-tests.log"

if [ -f "$DATA/train-images-idx3-ubyte.gz" ]; then
  for model in lenet-bn-scratch lenet-bn; do
    for device in cuda cpu; do
      python scripts/train_lenet.py --model "$model" --device "$device" --epochs 1 --data-dir "$DATA" \
        --out "$OUT/$model-$device" ${progress:---no-progress} >"$OUT/train-$model-$device.log" 2>&1
      grep -E "^epoch 1:" "$OUT/train-$model-$device.log" | sed "s/^/$model $device: /"
    done
  done
else
  echo "no Fashion-MNIST at $DATA: the training epoch was skipped (copy ../shared/data/fashion-mnist to .gpu-data and carry it)"
fi

python scripts/bench.py --device cuda --compare-torch --no-memory --repeats 7 --steps 50 --json "$OUT/bench.json" \
  >"$OUT/bench.txt" 2>&1
echo "gpu tests exit code: $tests_rc"
tail -n 8 "$OUT/bench.txt"
