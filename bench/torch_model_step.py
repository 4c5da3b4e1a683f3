#!/usr/bin/python3
"""The training step of bench/model_step.ts in PyTorch, on the reference networks of
scripts/reference_networks.py (same architecture, same loss). Prints one JSON line."""
import json, os, resource, sys, time
import torch
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'scripts'))
from reference_networks import PSPSeg, PlainUNet  # noqa: E402

torch.set_num_threads(int(os.environ.get('PSPSEG_THREADS', os.cpu_count())))
name = os.environ.get('BENCH_ARCH', 'S')
size, batch = int(os.environ.get('BENCH_SIZE', 64)), int(os.environ.get('BENCH_BATCH', 2))
warmup, steps = int(os.environ.get('BENCH_WARMUP', 1)), int(os.environ.get('BENCH_STEPS', 3))
device = os.environ.get('BENCH_DEVICE', 'cpu')
K4 = [[1, 1, 1], [1, 3, 3], [3, 1, 3], [3, 3, 1]]
K7 = [[1, 1, 1], [1, 1, 3], [1, 3, 1], [3, 1, 1], [1, 3, 3], [3, 1, 3], [3, 3, 1]]
if name.startswith('plain'):
    n = int(name[5:] or 6)
    arch = {'inChannels': 1, 'classes': 3, 'channels': [min(32 * 2 ** s, 320) for s in range(n)], 'kernels': [[3, 3, 3]] * n,
            'strides': [[1, 1, 1]] + [[2, 2, 2]] * (n - 1), 'convsPerStage': 2, 'deepSupervision': True, 'normAffine': True}
    model = PlainUNet(arch)
else:
    C = [16, 32, 64, 128, 256] + ([320] if name == 'L' else [])
    arch = {'inChannels': 1, 'classes': 3, 'channels': C, 'kernels': K4 if name == 'S' else K7, 'ratio': 0.5 if name == 'S' else 2,
            'deepSupervision': True, 'normAffine': False, 'blocks': {}}
    model = PSPSeg(arch)
model = model.to(device)
opt = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.99, nesterov=True)
x = torch.randn(batch, 1, size, size, size, device=device)
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
times = []
for i in range(warmup + steps):
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    logits, feats, region = model(x)
    loss = sum(l.mean() for l in logits)
    if region is not None:
        loss = loss + region.mean()
    loss.backward()
    opt.step()
    if device != 'cpu':
        torch.cuda.synchronize()
    if i >= warmup:
        times.append((time.perf_counter() - t0) * 1000)
times.sort()
print(json.dumps({'arch': name, 'size': size, 'batch': batch, 'params': sum(p.numel() for p in model.parameters()),
                  'median_ms': times[len(times) // 2], 'rss_before_mb': rss_before,
                  'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'threads': torch.get_num_threads()}))
