# The attention part of /work/shared/device/torch_reference.py that the attention goals compare with
# (1 GiB device copy; SDPA decode, H = 32 query heads = KV heads, d = 128, fp16, 1 query over L
# cached), with the same timing function, so a device call can take the PyTorch figures in seconds.
import json, os, sys, torch
import torch.nn.functional as F
dev = 'cuda'; out = {}
def bench(fn, reps=20, warm=3):
    for _ in range(warm): fn()
    torch.cuda.synchronize(); ts = []
    for _ in range(5):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        for _ in range(reps): fn()
        e.record(); torch.cuda.synchronize(); ts.append(s.elapsed_time(e) / reps)
    return min(ts)
a = torch.rand(1 << 28, device=dev); b = torch.empty_like(a)  # 1 GiB
ms = bench(lambda: b.copy_(a)); out['copy_GBps'] = 2 * a.numel() * 4 / ms / 1e6
del a, b
H, d = 32, 128
for L in [8192, 32768]:
    q = torch.randn(1, H, 1, d, device=dev, dtype=torch.float16); k = torch.randn(1, H, L, d, device=dev, dtype=torch.float16); v = torch.randn_like(k)
    ms = bench(lambda: F.scaled_dot_product_attention(q, k, v), reps=50)
    out[f'sdpa_decode_L{L}_GBps'] = 2 * H * L * d * 2 / ms / 1e6
    out[f'sdpa_decode_L{L}_us'] = ms * 1e3
print(json.dumps(out, indent=1))
if len(sys.argv) > 1: open(sys.argv[1], 'w').write(json.dumps(out, indent=1))
