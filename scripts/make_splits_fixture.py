#!/usr/bin/python3
"""Reference cross-validation splits for pspseg's trainer, computed with numpy (no sklearn needed).

Run: /usr/bin/python3 scripts/make_splits_fixture.py (PSPSEG_DATA names the shared data folder when it is not ../shared/data). Writes test/fixtures/splits.json.

nnU-Net v2 (nnunetv2/utilities/crossval_split.py) splits the sorted case ids with
sklearn.model_selection.KFold(n_splits=5, shuffle=True, random_state=12345). sklearn is not
installed here, so KFold is written out from its documented algorithm (sklearn/model_selection/_split.py):
  indices = arange(n); RandomState(random_state).shuffle(indices)
  fold_sizes = full(n_splits, n // n_splits); fold_sizes[:n % n_splits] += 1
  fold k tests indices[start:stop]; split() turns that into a boolean mask, so both the train and
  the test indices come out in ascending order.
KFold refuses n < n_splits; pspseg then uses n folds (one case per validation fold), and so does
this script. For a fold number beyond the split file nnU-Net draws a seeded 80:20 split:
  rnd = RandomState(12345 + fold); keys = sort(ids); idx_tr = rnd.choice(n, int(n * 0.8), replace=False)
  val = [keys[i] for i in range(n) if i not in idx_tr] (ascending), train = keys[idx_tr] (drawn order).
"""
import json, os
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'splits.json')
DATA = os.environ.get('PSPSEG_DATA') or os.path.join(HERE, '..', '..', 'shared', 'data')
HIPPOCAMPUS = os.path.join(DATA, 'Task04_Hippocampus', 'dataset.json')


def kfold(n, n_splits=5, seed=12345):
    n_splits = min(n_splits, n)
    indices = np.arange(n)
    np.random.RandomState(seed).shuffle(indices)
    fold_sizes = np.full(n_splits, n // n_splits, dtype=int)
    fold_sizes[: n % n_splits] += 1
    out, current = [], 0
    for size in fold_sizes:
        mask = np.zeros(n, dtype=bool)
        mask[indices[current:current + size]] = True
        out.append((np.arange(n)[~mask], np.arange(n)[mask]))
        current += size
    return out


def crossval_split(ids, seed=12345, n_splits=5):
    keys = list(np.sort(ids))
    return [{'train': [str(keys[i]) for i in tr], 'val': [str(keys[i]) for i in te]} for tr, te in kfold(len(keys), n_splits, seed)]


def random_split(ids, fold):
    rnd = np.random.RandomState(seed=12345 + fold)
    keys = np.sort(ids)
    idx_tr = rnd.choice(len(keys), int(len(keys) * 0.8), replace=False)
    idx_val = [i for i in range(len(keys)) if i not in idx_tr]
    return {'train': [str(keys[i]) for i in idx_tr], 'val': [str(keys[i]) for i in idx_val]}


def case_id(path):
    name = os.path.basename(path)
    return name[: -len('.nii.gz')] if name.endswith('.nii.gz') else name


with open(HIPPOCAMPUS) as f:
    hippocampus = [case_id(t['image']) for t in json.load(f)['training']]
assert len(hippocampus) == 208

datasets = {
    'hippocampus': hippocampus,  # dataset.json order (not sorted): the split sorts
    'seven': ['case_6', 'case_2', 'case_0', 'case_5', 'case_1', 'case_4', 'case_3'],
    'two': ['b_case', 'a_case'],
}

rs = np.random.RandomState(12345)
raw = rs.randint(0, 2 ** 32, size=1300, dtype=np.uint64)  # spans two twists of the state
shuffled = np.arange(1000)
np.random.RandomState(7).shuffle(shuffled)

fixture = {
    'mt19937_seed12345_first': [int(v) for v in raw[:8]],
    'mt19937_seed12345_620_to_630': [int(v) for v in raw[620:630]],
    'mt19937_seed12345_1290_to_1300': [int(v) for v in raw[1290:1300]],
    'shuffle_arange1000_seed7': [int(v) for v in shuffled],
    'datasets': {
        name: {
            'ids': ids,
            'splits': crossval_split(ids),
            'random_fold5': random_split(ids, 5) if len(ids) >= 5 else None,
        } for name, ids in datasets.items()
    },
}
with open(OUT, 'w') as f:
    json.dump(fixture, f, indent=1)
print(f'wrote {OUT}')
