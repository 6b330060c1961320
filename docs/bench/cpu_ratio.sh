#!/bin/bash
# Training speed of the Go network against PyTorch on the same shape and CPU, one thread each, in
# CPU seconds (user + sys), which other load on a shared machine changes far less than wall time.
# The difference between 100 and 20 steps cancels start-up and warm-up. Needs Debian's
# python3-torch. Run from the repository root: bash docs/bench/cpu_ratio.sh
set -euo pipefail
go test -c -o /tmp/convnet.test ./convnet >/dev/null
go test -c -tags purego -o /tmp/convnet-purego.test ./convnet >/dev/null
cpu() { /usr/bin/time -f "%U %S" "$@" 2>&1 >/dev/null | tail -1 | awk '{print $1+$2}'; }
bench() { (cd convnet && GOMAXPROCS=1 cpu "$1" -test.run '^$' -test.bench "TrainCompute/$2" -test.benchtime "${3}x"); }
for round in 1 2; do
  declare -A t g s p
  for n in 20 100; do
    t[$n]=$(cpu /usr/bin/python3 -c "import sys; sys.path.insert(0, 'docs/bench'); import torch_reference as r; r.images_per_second(1, steps=$n)")
    g[$n]=$(bench /tmp/convnet.test reference "$n")
    s[$n]=$(bench /tmp/convnet.test two-stream "$n")
    p[$n]=$(bench /tmp/convnet-purego.test reference "$n")
  done
  awk -v t1="${t[20]}" -v t2="${t[100]}" -v g1="${g[20]}" -v g2="${g[100]}" -v s1="${s[20]}" -v s2="${s[100]}" \
      -v p1="${p[20]}" -v p2="${p[100]}" -v r="$round" 'BEGIN { n = 80*32
    printf "round %d, images per CPU-second, one thread: PyTorch %.0f; Go reference shape %.0f (%.2fx PyTorch), portable kernels %.0f (%.2fx); two-stream network %.0f\n",
      r, n/(t2-t1), n/(g2-g1), (t2-t1)/(g2-g1), n/(p2-p1), (t2-t1)/(p2-p1), n/(s2-s1) }'
done
