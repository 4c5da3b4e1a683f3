#!/usr/bin/python3
"""Reference values for pspseg's engine tests, computed with PyTorch (Debian's python3-torch).

Run with `npm run fixtures` (or /usr/bin/python3 scripts/make_fixtures.py). Writes
test/fixtures/ops.json (forward values and input gradients of every op), optim.json (SGD and
AdamW trajectories) and pytorch_written.safetensors (a file in the public format written from
PyTorch tensors). Each op case: inputs, the op's output, and the gradient of sum(output * w)
with respect to each floating input, w a fixed random tensor (also stored).
"""
import json, struct, os
import torch
import torch.nn.functional as F

torch.manual_seed(0)
OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures')
os.makedirs(OUT, exist_ok=True)
DT = torch.float64

def enc(t):
    t = t.detach()
    if t.dtype == torch.bool:
        return {'dtype': 'bool', 'shape': list(t.shape), 'data': t.flatten().int().tolist()}
    name = {torch.float64: 'float64', torch.float32: 'float32', torch.int64: 'int64'}[t.dtype]
    return {'dtype': name, 'shape': list(t.shape), 'data': t.flatten().tolist()}

cases = []
def case(name, fn, inputs, nograd=()):
    ins = [x.clone().requires_grad_(x.is_floating_point() and i not in nograd) for i, x in enumerate(inputs)]
    out = fn(*ins)
    entry = {'name': name, 'inputs': [enc(x) for x in inputs], 'output': enc(out)}
    if out.is_floating_point() and any(x.requires_grad for x in ins):
        w = torch.randn(out.shape, dtype=out.dtype)
        (out * w).sum().backward()
        entry['w'] = enc(w)
        entry['grads'] = [enc(x.grad) if x.grad is not None else None for x in ins]
    cases.append(entry)

r = lambda *s: torch.randn(*s, dtype=DT)
pos = lambda *s: torch.rand(*s, dtype=DT) + 0.5

# elementwise
case('add', lambda a, b: a + b, [r(2, 3), r(3)])
case('add_alpha', lambda a, b: torch.add(a, b, alpha=2.5), [r(2, 3), r(2, 3)])
case('add_scalar', lambda a: a + 1.5, [r(4)])
case('sub', lambda a, b: a - b, [r(2, 3), r(2, 1)])
case('rsub', lambda a: 2.0 - a, [r(5)])
case('mul', lambda a, b: a * b, [r(2, 3), r(2, 3)])
case('div', lambda a, b: a / b, [r(2, 3), pos(2, 3)])
case('pow_scalar', lambda a: a ** 3, [r(6)])
case('pow_tensor', lambda a, b: a ** b, [pos(6), r(6)])
case('exp', torch.exp, [r(5)])
case('log', torch.log, [pos(5)])
case('sqrt', torch.sqrt, [pos(5)])
case('abs', torch.abs, [r(7)])
case('clamp', lambda a: torch.clamp(a, -0.5, 0.7), [r(9)])
case('clamp_min', lambda a: torch.clamp(a, min=0.1), [r(9)])
case('where', lambda c, a, b: torch.where(c > 0, a, b), [r(8), r(8), r(8)])
case('maximum', torch.maximum, [r(6), r(6)])
case('eq', lambda a: a == 1.0, [torch.tensor([1.0, 2.0, 1.0], dtype=DT)])
case('lt', lambda a, b: a < b, [r(6), r(6)])
case('ge_scalar', lambda a: a >= 0, [r(6)])
# reductions
case('sum_all', lambda a: a.sum(), [r(2, 3, 4)])
case('sum_dims_keep', lambda a: a.sum(dim=(0, 2), keepdim=True), [r(2, 3, 4)])
case('mean_dim', lambda a: a.mean(dim=1), [r(2, 3, 4)])
case('max_all', lambda a: a.max(), [r(3, 4)])
case('amax_dim', lambda a: a.amax(dim=1, keepdim=True), [r(3, 4)])
case('min_dim', lambda a: a.amin(dim=0), [r(3, 4)])
case('argmax_dim', lambda a: a.argmax(dim=1), [r(3, 4)])
case('argmax_keep', lambda a: a.argmax(dim=0, keepdim=True), [r(3, 4)])
case('var_dim', lambda a: a.var(dim=1), [r(3, 5)])
case('norm', lambda a: torch.linalg.vector_norm(a), [r(3, 5)])
case('matmul', torch.matmul, [r(3, 4), r(4, 2)])
case('matmul_batched', torch.matmul, [r(2, 3, 4), r(4, 5)])
# shape
case('reshape', lambda a: a.reshape(4, 6), [r(2, 3, 4)])
case('permute', lambda a: a.permute(2, 0, 1), [r(2, 3, 4)])
case('flip', lambda a: a.flip([0, 2]), [r(2, 3, 4)])
case('cat', lambda a, b: torch.cat([a, b], 1), [r(2, 3), r(2, 2)])
case('stack', lambda a, b: torch.stack([a, b], 0), [r(2, 3), r(2, 3)])
case('slice', lambda a: a[:, 1:4:2], [r(3, 5)])
case('slice_negative', lambda a: a[-2:], [r(5, 2)])
case('index_select', lambda a, i: a.index_select(1, i), [r(3, 5), torch.tensor([4, 0, 2])])
case('pad_constant', lambda a: F.pad(a, (1, 2, 0, 1), value=0.5), [r(1, 2, 3, 4)])
case('pad_reflect3d', lambda a: F.pad(a, (1, 1, 2, 0, 0, 1), mode='reflect'), [r(1, 2, 3, 4, 5)])
case('pad_replicate3d', lambda a: F.pad(a, (1, 1, 2, 0, 0, 1), mode='replicate'), [r(1, 2, 3, 4, 5)])
# nn
case('conv3d', lambda x, w, b: F.conv3d(x, w, b, padding=1), [r(2, 2, 5, 5, 5), r(3, 2, 3, 3, 3), r(3)])
case('conv3d_stride2', lambda x, w, b: F.conv3d(x, w, b, stride=2, padding=1), [r(1, 2, 6, 5, 4), r(3, 2, 3, 3, 3), r(3)])
case('conv3d_aniso', lambda x, w: F.conv3d(x, w, None, padding=(0, 1, 1)), [r(1, 2, 4, 5, 5), r(2, 2, 1, 3, 3)])
case('conv3d_aniso_313', lambda x, w: F.conv3d(x, w, None, padding=(1, 0, 1)), [r(1, 2, 4, 5, 5), r(2, 2, 3, 1, 3)])
case('conv3d_dilation_groups', lambda x, w, b: F.conv3d(x, w, b, padding=2, dilation=2, groups=2), [r(1, 4, 6, 6, 6), r(4, 2, 3, 3, 3), r(4)])
case('conv_transpose3d', lambda x, w, b: F.conv_transpose3d(x, w, b, stride=2), [r(1, 3, 3, 3, 3), r(3, 2, 2, 2, 2), r(2)])
case('conv_transpose3d_pad', lambda x, w: F.conv_transpose3d(x, w, None, stride=2, padding=1, output_padding=1), [r(1, 2, 3, 3, 3), r(2, 2, 3, 3, 3)])
case('instance_norm_affine', lambda x, w, b: F.instance_norm(x, weight=w, bias=b, eps=1e-5), [r(2, 3, 4, 4, 4), r(3), r(3)])
case('batch_norm_train', lambda x, w, b: F.batch_norm(x, None, None, weight=w, bias=b, training=True), [r(3, 2, 3, 3, 3), r(2), r(2)])
case('batch_norm_eval', lambda x, w, b, m, v: F.batch_norm(x, m, v, weight=w, bias=b, training=False), [r(3, 2, 2, 2, 2), r(2), r(2), r(2), pos(2)], nograd=(3, 4))
case('leaky_relu', lambda a: F.leaky_relu(a, 0.01), [r(10)])
case('relu', F.relu, [r(10)])
case('sigmoid', torch.sigmoid, [r(10)])
case('softmax', lambda a: torch.softmax(a, 1), [r(2, 4, 3)])
case('log_softmax', lambda a: torch.log_softmax(a, 1), [r(2, 4, 3)])
case('interp_nearest_scale', lambda a: F.interpolate(a, scale_factor=2, mode='nearest'), [r(1, 2, 2, 3, 2)])
case('interp_nearest_size', lambda a: F.interpolate(a, size=(3, 5, 4), mode='nearest'), [r(1, 2, 4, 3, 5)])
case('interp_trilinear_size', lambda a: F.interpolate(a, size=(5, 4, 6), mode='trilinear', align_corners=False), [r(1, 2, 3, 3, 3)])
case('interp_trilinear_scale', lambda a: F.interpolate(a, scale_factor=0.5, mode='trilinear', align_corners=False), [r(1, 1, 4, 6, 4)])
case('interp_trilinear_align', lambda a: F.interpolate(a, size=(4, 4, 5), mode='trilinear', align_corners=True), [r(1, 1, 3, 2, 3)])
case('avg_pool3d', lambda a: F.avg_pool3d(a, 2), [r(1, 2, 4, 4, 4)])
case('max_pool3d', lambda a: F.max_pool3d(a, 3, stride=2, padding=1), [r(1, 2, 5, 5, 5)])
theta = torch.tensor([[[0.9, 0.1, 0.0, 0.05], [-0.1, 1.1, 0.2, 0.0], [0.0, 0.1, 0.8, -0.1]]], dtype=DT)
case('affine_grid', lambda t: F.affine_grid(t, [1, 1, 3, 4, 2], align_corners=False), [theta])
case('grid_sample_bilinear', lambda x, t: F.grid_sample(x, F.affine_grid(t, [1, 2, 4, 5, 3], align_corners=False), mode='bilinear', padding_mode='zeros', align_corners=False), [r(1, 2, 4, 5, 3), theta])
case('grid_sample_nearest_border', lambda x, t: F.grid_sample(x, F.affine_grid(t, [1, 1, 3, 3, 3], align_corners=True), mode='nearest', padding_mode='border', align_corners=True), [r(1, 1, 4, 4, 4), theta])
tgt = torch.tensor([[[0, 1, 2], [2, -1, 1]], [[1, 1, 0], [-1, 2, 2]]])
case('cross_entropy', lambda x, t: F.cross_entropy(x, t), [r(2, 3, 2, 3), tgt.clamp(min=0)])
case('cross_entropy_ignore_weight', lambda x, t, w: F.cross_entropy(x, t, weight=w, ignore_index=-1), [r(2, 3, 2, 3), tgt, pos(3)], nograd=(2,))
case('cross_entropy_sum', lambda x, t: F.cross_entropy(x, t, ignore_index=-1, reduction='sum'), [r(2, 3, 2, 3), tgt])
case('bce_logits', lambda x, t: F.binary_cross_entropy_with_logits(x, t), [r(2, 5), (torch.rand(2, 5) > 0.5).to(DT)], nograd=(1,))
case('bce_logits_weight_none', lambda x, t, w: F.binary_cross_entropy_with_logits(x, t, weight=w, reduction='none'), [r(2, 5), (torch.rand(2, 5) > 0.5).to(DT), pos(5)], nograd=(1, 2))
case('cosine_similarity', lambda a, b: F.cosine_similarity(a, b, dim=1), [r(2, 4, 3, 3), r(2, 4, 3, 3)])
case('one_hot', lambda t: F.one_hot(t, 4), [torch.tensor([[0, 3], [2, 1]])])

with open(os.path.join(OUT, 'ops.json'), 'w') as f:
    json.dump({'generator': 'scripts/make_fixtures.py', 'torch': torch.__version__, 'cases': cases}, f)

# ---- optimiser trajectories on a small quadratic-plus-tanh problem ----
def problem():
    g = torch.Generator().manual_seed(3)
    w = torch.randn(3, 4, generator=g, dtype=torch.float32)
    b = torch.randn(3, generator=g, dtype=torch.float32)
    x = torch.randn(5, 4, generator=g, dtype=torch.float32)
    y = torch.randn(5, 3, generator=g, dtype=torch.float32)
    return w, b, x, y

def loss_fn(w, b, x, y):
    return (torch.tanh(x @ w.t() + b) - y).pow(2).mean()

traj = {}
for name, make in [
    ('sgd_nesterov', lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.99, nesterov=True, weight_decay=3e-5)),
    ('sgd_plain', lambda ps: torch.optim.SGD(ps, lr=0.2)),
    ('sgd_momentum_dampening', lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=1e-3)),
    ('adamw', lambda ps: torch.optim.AdamW(ps, lr=1e-2, weight_decay=1e-2)),
    ('adamw_betas', lambda ps: torch.optim.AdamW(ps, lr=3e-3, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)),
]:
    w, b, x, y = problem()
    w.requires_grad_(); b.requires_grad_()
    opt = make([w, b])
    steps = []
    for _ in range(6):
        opt.zero_grad()
        loss = loss_fn(w, b, x, y)
        loss.backward()
        opt.step()
        steps.append({'loss': loss.item(), 'w': w.detach().flatten().tolist(), 'b': b.detach().flatten().tolist()})
    traj[name] = steps
w, b, x, y = problem()
w.requires_grad_(); b.requires_grad_()
(loss_fn(w, b, x, y) * 50).backward()
total = torch.nn.utils.clip_grad_norm_([w, b], 0.5)
clip = {'total_norm': total.item(), 'w_grad': w.grad.flatten().tolist(), 'b_grad': b.grad.flatten().tolist()}
w0, b0, x0, y0 = problem()
with open(os.path.join(OUT, 'optim.json'), 'w') as f:
    json.dump({'problem': {'w': w0.flatten().tolist(), 'b': b0.tolist(), 'x': x0.flatten().tolist(), 'y': y0.flatten().tolist()},
               'trajectories': traj, 'clip': clip}, f)

# ---- a safetensors file written from PyTorch tensors (format written by hand: Debian ships no
# safetensors package; the layout follows the public specification) ----
tensors = {
    'conv.weight': torch.randn(4, 2, 3, 3, 3, dtype=torch.float32),
    'conv.bias': torch.arange(4, dtype=torch.float32) * 0.5,
    'norm.double': torch.randn(3, dtype=torch.float64),
    'counts': torch.tensor([1, -2, 3 << 40], dtype=torch.int64),
    'half': torch.tensor([0.5, -1.25, 3.0], dtype=torch.float16),
    'brain': torch.tensor([1.5, -2.0, 0.099609375], dtype=torch.bfloat16),
    'mask': torch.tensor([True, False, True]),
    'bytes': torch.tensor([0, 7, 255], dtype=torch.uint8),
}
codes = {torch.float32: 'F32', torch.float64: 'F64', torch.int64: 'I64', torch.float16: 'F16', torch.bfloat16: 'BF16',
         torch.bool: 'BOOL', torch.uint8: 'U8'}
header, blobs, off = {'__metadata__': {'format': 'pt', 'written_by': 'make_fixtures.py'}}, [], 0
for k in sorted(tensors):
    t = tensors[k].contiguous()
    raw = t.view(torch.int16).numpy().tobytes() if t.dtype in (torch.float16, torch.bfloat16) else t.numpy().tobytes()
    header[k] = {'dtype': codes[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(raw)]}
    blobs.append(raw); off += len(raw)
hj = json.dumps(header).encode()
hj += b' ' * ((8 - len(hj) % 8) % 8)
with open(os.path.join(OUT, 'pytorch_written.safetensors'), 'wb') as f:
    f.write(struct.pack('<Q', len(hj))); f.write(hj)
    for blob in blobs: f.write(blob)
with open(os.path.join(OUT, 'pytorch_written.json'), 'w') as f:
    json.dump({k: {'dtype': codes[v.dtype], 'shape': list(v.shape), 'values': v.float().flatten().tolist() if v.dtype != torch.int64 else v.flatten().tolist()}
               for k, v in tensors.items()}, f)
print(f'wrote {len(cases)} op cases, {len(traj)} optimiser trajectories, a safetensors file')
