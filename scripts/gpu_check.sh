#!/usr/bin/env bash
# Device check of the one-shot extra (< 5 minutes on one H200): supernet training throughput on synthetic
# 224-px data (images/s, peak memory, bf16 vs fp32) and a miniature train -> search -> evaluate -> retrain round.
#
#   scripts/gpu_check.sh                      # on a GPU machine
#   scripts/gpu_check.sh --cpu --tiny         # the same path on a CPU, tiny network (under a minute)
#   scripts/gpu_check.sh --json figures.json  # also write the figures as JSON
#
# Uses .venv/bin/python when present, else $PYTHON or python; needs lissnas-bench[oneshot] installed.
# GPU_CHECK_TIMEOUT (seconds, default 300) bounds the whole run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python}"
if [ -z "${PYTHON:-}" ] && [ -x .venv/bin/python ]; then PY=.venv/bin/python; fi
# tiny CPU networks run fastest on one intra-op thread (and do not fight other jobs for cores)
if [[ " $* " == *" --cpu "* ]]; then export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"; fi
exec timeout "${GPU_CHECK_TIMEOUT:-300}" "$PY" scripts/gpu_check.py "$@"
