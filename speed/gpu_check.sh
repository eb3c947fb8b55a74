#!/usr/bin/env bash
# The GPU checks, in one run on a machine with a CUDA GPU, from the repository root:
# the CUDA tests, then the speed benchmarks on the GPU (dense, sparse, mixed
# precision) and the width benchmark. Logs go to $OUT (default /tmp/gpu_check).
set -uo pipefail
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gpu_check}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | tee "$OUT/gpu.txt"
python3 -c "import torch, sklearn; print('torch', torch.__version__, 'sklearn', sklearn.__version__, torch.cuda.get_device_name())" 2>&1 | tee -a "$OUT/gpu.txt"
# device="auto" trains on the GPU here: the whole estimator file runs on it.
timeout 240 python3 -m pytest -q -p no:cacheprovider -x tests/test_datn.py tests/test_datn_cv.py -k "not sklearn_compatible" 2>&1 | tail -n 30 | tee "$OUT/tests.txt"
timeout 120 python3 speed/speed.py --device cuda --repeat 2 --big-batches 1024 2>&1 | tee "$OUT/speed_fp32.txt"
timeout 60 python3 speed/speed.py --device cuda --repeat 2 --mixed-precision bfloat16 --skip defaults big 2>&1 | tee "$OUT/speed_bf16.txt"
timeout 90 python3 speed/width_speed.py --device cuda 2>&1 | tee "$OUT/width.txt"
