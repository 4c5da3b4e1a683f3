#!/usr/bin/python3
"""One training step of a whole model in PyTorch: the reference side of bench/model.ts (its child), the
same step as bench/model_step.ts on the same files: the network built by scripts/torch_pspseg.py from
pspseg's architecture JSON, pspseg's weights loaded strictly, the same image and label. Prints one JSON
line. The caller sets threads and the allocator through the environment (PSPSEG_THREADS; GLIBC_TUNABLES).

Step (nnU-Net's train_step with PSP-Seg's loss): zero_grad(set_to_none), with 'psp' the masked input
(background -> fill value) through net.encode under no_grad, forward, deep-supervised Dice + CE
(+ 0.1 TR + 0.1 RL), backward, clip_grad_norm_ 12, SGD (lr 1e-2, momentum 0.99, Nesterov, weight decay
3e-5); the loss terms read once per step (one transfer), as pspseg does. The deep-supervision targets
come with the batch (the loader makes them): built once, outside the step.

Environment: BENCH_DIR (<model>.architecture.json, <model>.safetensors, case.safetensors), BENCH_MODEL
(psp_s | plain), BENCH_LOSS (psp | dice_ce), BENCH_WARMUP (2), BENCH_STEPS (5), BENCH_DEVICE (cpu | cuda),
PSPSEG_THREADS.
"""
import json, os, resource, sys, time
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts'))
import torch_pspseg as R  # noqa: E402

torch.set_num_threads(int(os.environ.get('PSPSEG_THREADS', os.cpu_count())))
bench_dir = os.environ['BENCH_DIR']
model = os.environ.get('BENCH_MODEL', 'psp_s')
loss_kind = os.environ.get('BENCH_LOSS', 'psp')
warmup, steps = int(os.environ.get('BENCH_WARMUP', 2)), int(os.environ.get('BENCH_STEPS', 5))
device = os.environ.get('BENCH_DEVICE', 'cpu')
rss_mb = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
PAGE_MB = os.sysconf('SC_PAGE_SIZE') / 2 ** 20


def current_rss_mb():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * PAGE_MB

net = R.build_network(R.load_architecture(os.path.join(bench_dir, f'{model}.architecture.json')))
R.load_weights(os.path.join(bench_dir, f'{model}.safetensors'), net)
net = net.to(device).train()
opt = torch.optim.SGD(net.parameters(), lr=1e-2, momentum=0.99, nesterov=True, weight_decay=3e-5)
case = R.load_safetensors(os.path.join(bench_dir, 'case.safetensors'))
with open(os.path.join(bench_dir, 'case.json')) as f:
    fill = json.load(f)['fill']
image, label = case['image'].to(device), case['label'].long().to(device)
targets = R.ds_targets(label, int(os.environ.get('BENCH_DS_LEVELS', 4)))  # one per deep-supervision output (bench/model.ts)
config = {'name': loss_kind}
# BENCH_PRECISION bf16/fp16: the forward passes under torch.autocast, their maps in float32 for the loss
# (as pspseg's trainer does: src/nn/network_output.ts float32Output).
precision = os.environ.get('BENCH_PRECISION', 'fp32')
amp_dtype = {'bf16': torch.bfloat16, 'fp16': torch.float16}.get(precision)


def autocast():
    return torch.autocast(device_type='cpu' if device == 'cpu' else 'cuda', dtype=amp_dtype or torch.bfloat16, enabled=amp_dtype is not None)


def float32(t):
    return t if t is None or t.dtype == torch.float32 else t.float()


rss_before = rss_mb()
if device != 'cpu':
    torch.cuda.reset_peak_memory_stats()  # the steps' peak, as bench/model_step.ts measures ours: weights and batch included


def sync():
    if device != 'cpu':
        torch.cuda.synchronize()


PHASES = ['zero_grad', 'masked_encode', 'forward', 'loss', 'backward', 'clip', 'sgd']
phases = {p: [] for p in PHASES}
phase_rss = {}  # RSS after each phase of the last step (where memory grows)
times, cpu_times, first = [], [], None  # wall and CPU (all threads) ms per step
for i in range(warmup + steps):
    t0 = last = time.perf_counter()
    cpu0 = time.process_time()

    def mark(p):
        global last
        sync()
        now = time.perf_counter()
        if i >= warmup:
            phases[p].append((now - last) * 1000)
        phase_rss[p] = round(current_rss_mb(), 1)
        last = now

    opt.zero_grad(set_to_none=True)
    mark('zero_grad')
    masked_feats = None
    if loss_kind == 'psp':
        with torch.no_grad(), autocast():
            masked_feats = [float32(f) for f in net.encode(R.mask_input(image, label, fill))]
    mark('masked_encode')
    with autocast():
        out = net(image)
    out = {k: [float32(t) for t in v] if isinstance(v, list) else float32(v) for k, v in out.items()}
    mark('forward')
    total, terms, _ = R.pspseg_loss(out, masked_feats, targets, config, numbers=False)
    logged = {k: t for k, t in terms.items() if t is not None}
    values = dict(zip(logged, torch.stack([t.detach() for t in logged.values()]).tolist()))  # the one transfer
    mark('loss')
    total.backward()
    mark('backward')
    grad_norm = float(torch.nn.utils.clip_grad_norm_(net.parameters(), 12))
    mark('clip')
    opt.step()
    mark('sgd')
    del out, total, terms, logged, masked_feats
    if first is None:
        first = {'terms': values, 'gradNorm': grad_norm}
    if i >= warmup:
        times.append((time.perf_counter() - t0) * 1000)
        cpu_times.append((time.process_time() - cpu0) * 1000)

median = lambda xs: sorted(xs)[len(xs) // 2]
result = {'side': 'torch', 'model': model, 'loss': loss_kind, 'patch': list(image.shape[2:]), 'batch': image.shape[0],
          'params': sum(p.numel() for p in net.parameters()), 'median_ms': median(times),
          'cpu_ms': median(cpu_times),
          'phases_ms': {p: round(median(v), 2) for p, v in phases.items()},
          'rss_before_mb': round(rss_before, 1), 'phases_rss_mb': phase_rss, 'peak_rss_mb': round(rss_mb(), 1),
          'threads': torch.get_num_threads(), 'first_step': first}
if device != 'cpu':
    result['peak_gpu_mb'] = torch.cuda.max_memory_allocated() / 2 ** 20
print(json.dumps(result))
