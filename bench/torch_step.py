#!/usr/bin/python3
"""The same training step as bench/engine_step.ts in PyTorch (the reference). Prints one JSON line."""
import json, os, resource, time, torch
import torch.nn as nn

torch.set_num_threads(int(os.environ.get('PSPSEG_THREADS', os.cpu_count())))
warmup, steps = int(os.environ.get('BENCH_WARMUP', 3)), int(os.environ.get('BENCH_STEPS', 15))
size = int(os.environ.get('BENCH_SIZE', 64))
device = os.environ.get('BENCH_DEVICE', 'cpu')
torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv3d(1, 16, 3, padding=1), nn.InstanceNorm3d(16, affine=True), nn.LeakyReLU(0.01),
    nn.Conv3d(16, 32, 3, stride=2, padding=1), nn.InstanceNorm3d(32, affine=True), nn.LeakyReLU(0.01),
    nn.Conv3d(32, 32, (1, 3, 3), padding=(0, 1, 1)), nn.Conv3d(32, 32, (3, 3, 1), padding=(1, 1, 0))).to(device)
opt = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.99, nesterov=True)
x = torch.randn(2, 1, size, size, size, device=device)
times = []
for i in range(warmup + steps):
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    model(x).sum().backward()
    opt.step()
    if device != 'cpu':
        torch.cuda.synchronize()
    if i >= warmup:
        times.append((time.perf_counter() - t0) * 1000)
times.sort()
print(json.dumps({'median_ms': times[len(times) // 2], 'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  'threads': torch.get_num_threads()}))
