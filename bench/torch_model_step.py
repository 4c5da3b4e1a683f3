#!/usr/bin/python3
"""One training step of a whole model in PyTorch (the reference for pspseg's model benchmark).
Prints one JSON line, like bench/torch_step.py; the caller sets threads and the allocator through the
environment (PSPSEG_THREADS; GLIBC_TUNABLES as bench/engine.ts does for 'torch_tuned').

Step (nnU-Net's train_step with PSP-Seg's loss): zero_grad(set_to_none), mask the input (background
-> fill value), encode the masked input without gradients, forward, deep-supervised Dice + CE
(+ 0.1 TR + 0.1 RL for PSP-Seg), backward, gradient-norm clipping at 12, SGD (lr 1e-2, momentum 0.99,
Nesterov, weight decay 3e-5). The loss terms are read once per step (one transfer), as pspseg does.

Environment:
  BENCH_MODEL    pspseg-S (default) | pspseg-B | pspseg-L | plainunet (nnU-Net PlainConvUNet,
                 Hippocampus topology: [32, 64, 128, 256], strides 1,2,2,2, 2 convs per stage; loss dcce)
  BENCH_PATCH    patch size, default 48,64,48
  BENCH_BATCH    default 2
  BENCH_LOSS     dcce+fd (default for PSP-Seg) | dcce
  BENCH_WEIGHTS  safetensors file to load (strict); default: the deterministic weights of
                 scripts/torch_pspseg.py (--save-weights writes the same file)
  BENCH_AFFINE   1 (default) | 0: InstanceNorm with or without weight/bias (see torch_pspseg.py)
  BENCH_CLIP     gradient-norm clip, default 12 (0: off)
  BENCH_WARMUP, BENCH_STEPS (default 3, 15), BENCH_DEVICE (cpu | cuda), PSPSEG_THREADS
"""
import json, os, resource, sys, time
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts'))
import torch_pspseg as R  # noqa: E402

torch.set_num_threads(int(os.environ.get('PSPSEG_THREADS', os.cpu_count())))
warmup, steps = int(os.environ.get('BENCH_WARMUP', 3)), int(os.environ.get('BENCH_STEPS', 15))
device = os.environ.get('BENCH_DEVICE', 'cpu')
model_name = os.environ.get('BENCH_MODEL', 'pspseg-S')
patch = [int(v) for v in os.environ.get('BENCH_PATCH', '48,64,48').split(',')]
batch = int(os.environ.get('BENCH_BATCH', 2))
clip = float(os.environ.get('BENCH_CLIP', 12))
affine = os.environ.get('BENCH_AFFINE', '1') != '0'
classes = 3

if model_name.startswith('pspseg-'):
    net = R.PSPSegNet(model_name.split('-')[1], 1, classes, deep_supervision=True, affine=affine)
    loss_kind = os.environ.get('BENCH_LOSS', 'dcce+fd')
elif model_name == 'plainunet':
    net = R.PlainUNet(1, classes, (32, 64, 128, 256), (1, 2, 2, 2), 2, deep_supervision=True)
    loss_kind = 'dcce'
else:
    raise SystemExit(f'BENCH_MODEL: unknown model {model_name!r} (pspseg-S, pspseg-B, pspseg-L, plainunet)')
if os.environ.get('BENCH_WEIGHTS'):
    R.load_weights(os.environ['BENCH_WEIGHTS'], net)
else:
    net.load_state_dict(R.deterministic_weights(net)[0])
net = net.to(device).train()
opt = torch.optim.SGD(net.parameters(), lr=1e-2, momentum=0.99, nesterov=True, weight_decay=3e-5)

g = torch.Generator().manual_seed(0)
label = R.blob_label(g, (batch, 1, *patch), classes)
image = (torch.randn((batch, 1, *patch), generator=g) * 0.5 + label.float() * 0.7).to(device)
label = label.to(device)
fill = -1.0  # a 0.5th foreground percentile of a normalised image
config = {'kind': loss_kind}

times = []
targets = None
for i in range(warmup + steps):
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    masked_feats = None
    if loss_kind == 'dcce+fd':
        with torch.no_grad():
            masked_feats = net.encode(R.mask_input(image, label, fill))
    out = net(image)
    if targets is None:  # the loader delivers these with the batch: not part of the step
        targets = [label] + [R.target_at([label], l.shape[2:]) for l in out['logits'][1:]]
    total, terms, _ = R.pspseg_loss(out, masked_feats, targets, config, numbers=False)
    total.backward()
    if clip > 0:
        torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
    opt.step()
    logged = {k: t for k, t in terms.items() if t is not None}
    values = dict(zip(logged, torch.stack([t.detach() for t in logged.values()]).tolist()))  # the one transfer
    if device != 'cpu':
        torch.cuda.synchronize()
    if i >= warmup:
        times.append((time.perf_counter() - t0) * 1000)
times.sort()
result = {'median_ms': times[len(times) // 2], 'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
          'threads': torch.get_num_threads(), 'model': model_name, 'patch': patch, 'batch': batch, 'loss': loss_kind,
          'parameters': sum(p.numel() for p in net.parameters()), 'last_terms': values}
if device != 'cpu':
    result['peak_gpu_mb'] = torch.cuda.max_memory_allocated() / 2 ** 20
print(json.dumps(result))
