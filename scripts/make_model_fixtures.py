#!/usr/bin/python3
"""Reference forward and backward passes of pspseg's networks, computed with PyTorch (Debian's python3-torch).

Run with /usr/bin/python3 scripts/make_model_fixtures.py. The networks are the project's one PyTorch
reference (scripts/torch_pspseg.py), written from their definitions independently of the TypeScript code,
built from pspseg's architecture data. For each tiny network it writes,
under test/fixtures/:
  models_<name>.architecture.json   the architecture (pspseg's format), PRM block states included
  models_<name>.safetensors         random weights (they load into pspseg's network by name, strictly)
  models_<name>_expected.safetensors the input, every network output, the loss weights and the gradient
                                      of loss = sum_i sum(logits_i * w_i) + sum(region * w_region)
                                      for every parameter that gets one ("grad.<name>"; masked blocks get none)
"""
import json, os, sys
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_pspseg import build_network, save_safetensors  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures')
torch.manual_seed(0)


def fixture(name, arch, model, x):
    with torch.no_grad():
        for pname, p in model.named_parameters():
            if pname.endswith('scale'):
                p.copy_(0.5 * torch.randn(p.shape))
            elif '.norm' in pname and pname.endswith('weight'):
                p.copy_(1 + 0.2 * torch.randn(p.shape))
            elif p.dim() == 1:
                p.copy_(0.2 * torch.randn(p.shape))
            else:
                p.copy_(torch.randn(p.shape) * (2.0 / p[0].numel()) ** 0.5)
    out = model(x)
    logits, feats, region = out['logits'], out['encoderFeatures'], out['regionFeatures']
    expected = {'input': x}
    loss = 0
    for i, l in enumerate(logits):
        w = torch.randn(l.shape)
        expected[f'logits.{i}'], expected[f'w.logits.{i}'] = l, w
        loss = loss + (l * w).sum()
    for i, f in enumerate(feats):
        expected[f'features.{i}'] = f
    if region is not None:
        w = torch.randn(region.shape)
        expected['region'], expected['w.region'] = region, w
        loss = loss + (region * w).sum()
    loss.backward()
    for pname, p in model.named_parameters():
        if p.grad is not None:  # masked blocks get none
            expected[f'grad.{pname}'] = p.grad
    with open(os.path.join(OUT, f'models_{name}.architecture.json'), 'w') as f:
        json.dump(arch, f, indent=2)
    meta = {'written_by': 'make_model_fixtures.py'}
    save_safetensors(os.path.join(OUT, f'models_{name}.safetensors'), dict(model.named_parameters()), meta)
    save_safetensors(os.path.join(OUT, f'models_{name}_expected.safetensors'), expected, meta)
    print(f'{name}: {sum(p.numel() for p in model.parameters())} parameters, logits {[list(l.shape) for l in logits]}')


psp = {
    'format': 'pspseg-architecture', 'version': 1, 'kind': 'psp', 'variant': None, 'inChannels': 2, 'classes': 3,
    'channels': [4, 8, 16], 'kernels': [[1, 1, 1], [1, 3, 3], [3, 1, 3], [3, 3, 1]], 'ratio': 0.5,
    'deepSupervision': True, 'normAffine': True,
    'blocks': {'enc1': ['active', 'active', 'masked', 'active'], 'enc2': ['active'] * 4, 'dec1': ['active', 'active', 'active', 'deleted']},
}
fixture('psp_tiny', psp, build_network(psp), torch.randn(2, 2, 4, 8, 12))

plain = {
    'format': 'pspseg-architecture', 'version': 1, 'kind': 'plain', 'inChannels': 1, 'classes': 2,
    'channels': [4, 8, 16], 'kernels': [[1, 3, 3], [3, 3, 3], [3, 3, 3]], 'strides': [[1, 1, 1], [1, 2, 2], [2, 2, 2]],
    'convsPerStage': 2, 'deepSupervision': True, 'normAffine': True,
}
fixture('plain_tiny', plain, build_network(plain), torch.randn(2, 1, 4, 8, 12))
