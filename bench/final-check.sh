#!/usr/bin/env bash
# The lead's final check on HEAD: every goal case of issues 2-5 in one call on the GPU machine, PyTorch in
# the same call. Run from the repository root there after packing (.device-rt carried):
#   bash bench/final-check.sh PART     (PART: goals = GEMM, attention, KV, ceilings and GEMV squares;
#                                        sweep = the GEMV batch sweep at 8192² and repeats)
# Files land in $OUT; the case filters are the ones BENCHMARKS.md's final-check section quotes.
set -u
PART=${1:-goals}
source .device-rt/unpack.sh >/dev/null
cd /tmp/rt/app
D=(--dawn-flag "$PDB_DAWN_FLAGS")
A='^(ceiling/|gemv/(rowset|rowset-q8x|subgroup)/[a-z0-9]+/n=(4096,k=4096|8192,k=8192|16384,k=16384),b=1$)'
B='^(gemm/[^/]+/f(32|16)/m=4096,n=4096,k=4096$|gemm/subgroup-matrix/f16/m=(8192,n=8192,k=8192|512,n=4096,k=4096|128,n=4096,k=4096)$|attention/prefill-(naive|tiled)/f32/h=32,kv=8,d=128,n=4096$|attention/prefill-tiled/f16/h=32,kv=8,d=128,n=4096$|attention/decode-(split|naive)/f16/h=32,kv=(8|32),d=128,l=32768$|kv/read/f16/.*l=32768$)'
C='^(ceiling/copy|ceiling/fma|gemv/(rowset|rowset-q8x)/[a-z0-9]+/n=8192,k=8192,b=[0-9]+$)'
R='^(ceiling/copy|ceiling/fma/f32|gemv/rowset/f32/n=4096,k=4096,b=1$|gemv/rowset-q8x/int4/n=16384,k=16384,b=1$|attention/prefill-tiled/f32/h=32,kv=8,d=128,n=4096$)'
nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw --format=csv,noheader -lms 500 > "$OUT/clock-$PART.csv" 2>&1 &
SMI=$!
if [ "$PART" = goals ]; then
  timeout 100 python3 /tmp/rt/torch_reference.py > "$OUT/torch.txt" 2>&1
  timeout 220 node pdbench.mjs --preset full --filter "$B" --trials 30 --out "$OUT/final-b.json" "${D[@]}" > "$OUT/final-b.log" 2>&1
  timeout 240 node pdbench.mjs --preset full --filter "$A" --trials 50 --out "$OUT/final-a.json" "${D[@]}" > "$OUT/final-a.log" 2>&1
else
  timeout 330 node pdbench.mjs --preset full --filter "$C" --trials 30 --out "$OUT/final-c.json" --md "$OUT/final-c.md" "${D[@]}" > "$OUT/final-c.log" 2>&1
  timeout 200 node pdbench.mjs --preset full --filter "$R" --trials 100 --out "$OUT/final-r.json" "${D[@]}" > "$OUT/final-r.log" 2>&1
fi
kill $SMI 2>/dev/null
tail -c 5000 "$OUT"/final-*.log
