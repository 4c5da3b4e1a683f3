/** Dataset folders: MSD (the real hippocampus set) and nnU-Net v2 layouts built in a temp folder. */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetError, declaredLabelValues, readDataset } from '../src/data/dataset/dataset.js';
import { HIPPOCAMPUS_DIR, requireData } from './helpers/shared_data.js';

const tmp = mkdtempSync(join(tmpdir(), 'pspseg-dataset-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const CASES = ['hippocampus_004', 'hippocampus_006', 'hippocampus_007'];

function writeJson(path: string, json: unknown): void {
  writeFileSync(path, JSON.stringify(json, null, 1));
}

/** An nnU-Net v2 copy of three hippocampus cases with two channels (the T1 twice). */
function makeNnunetDataset(name: string, extra: Record<string, unknown> = {}): string {
  const root = join(tmp, name);
  for (const sub of ['imagesTr', 'labelsTr', 'imagesTs']) mkdirSync(join(root, sub), { recursive: true });
  for (const id of CASES) {
    for (const ch of ['0000', '0001']) copyFileSync(join(HIPPOCAMPUS_DIR, 'imagesTr', `${id}.nii.gz`), join(root, 'imagesTr', `${id}_${ch}.nii.gz`));
    copyFileSync(join(HIPPOCAMPUS_DIR, 'labelsTr', `${id}.nii.gz`), join(root, 'labelsTr', `${id}.nii.gz`));
  }
  copyFileSync(join(HIPPOCAMPUS_DIR, 'imagesTr', 'hippocampus_008.nii.gz'), join(root, 'imagesTs', 'hippocampus_008_0000.nii.gz'));
  writeJson(join(root, 'dataset.json'), {
    channel_names: { 0: 'T1', 1: 'T1 again' },
    labels: { background: 0, anterior: 1, posterior: 2 },
    numTraining: 3,
    file_ending: '.nii.gz',
    name: 'HippoV2',
    ...extra,
  });
  return root;
}

describe('MSD layout', () => {
  test('Task04_Hippocampus', () => {
    requireData();
    const ds = readDataset(HIPPOCAMPUS_DIR);
    assert.equal(ds.layout, 'msd');
    assert.equal(ds.name, 'Hippocampus');
    assert.equal(ds.root, HIPPOCAMPUS_DIR);
    assert.equal(ds.datasetJson, join(HIPPOCAMPUS_DIR, 'dataset.json'));
    assert.deepEqual(ds.channelNames, ['MRI']);
    assert.deepEqual(ds.labels, [{ name: 'background', value: 0 }, { name: 'Anterior', value: 1 }, { name: 'Posterior', value: 2 }]);
    assert.equal(ds.fileEnding, '.nii.gz');
    assert.equal(ds.cases.length, 208);
    assert.equal(ds.numTraining, 208);
    assert.deepEqual(ds.cases[0], {
      id: 'hippocampus_004',
      images: [join(HIPPOCAMPUS_DIR, 'imagesTr/hippocampus_004.nii.gz')],
      channelInFile: '4d',
      label: join(HIPPOCAMPUS_DIR, 'labelsTr/hippocampus_004.nii.gz'),
    });
    assert.ok(ds.cases.every((c) => existsSync(c.images[0]!) && existsSync(c.label!)));
    assert.deepEqual(ds.testCases, []);
    assert.deepEqual(ds.strayFiles, []);
    assert.deepEqual([...declaredLabelValues(ds)].sort(), [0, 1, 2]);
  });

  test('the dataset.json path works as well as the folder', () => {
    assert.equal(readDataset(join(HIPPOCAMPUS_DIR, 'dataset.json')).cases.length, 208);
  });

  test('multi-modal MSD with a test list and an unlisted file', () => {
    const root = join(tmp, 'msd4d');
    mkdirSync(join(root, 'imagesTr'), { recursive: true });
    writeFileSync(join(root, 'imagesTr', 'extra.nii.gz'), '');
    writeJson(join(root, 'dataset.json'), {
      name: 'BrainTumour', modality: { 0: 'FLAIR', 1: 'T1w', 2: 'T1gd', 3: 'T2w' },
      labels: { 0: 'background', 1: 'edema', 2: 'non-enhancing tumor', 3: 'enhancing tumour' },
      numTraining: 1, numTest: 1,
      training: [{ image: './imagesTr/BRATS_001.nii.gz', label: './labelsTr/BRATS_001.nii.gz' }],
      test: ['./imagesTs/BRATS_485.nii.gz'],
    });
    const ds = readDataset(root);
    assert.deepEqual(ds.channelNames, ['FLAIR', 'T1w', 'T1gd', 'T2w']);
    assert.equal(ds.labels.length, 4);
    assert.deepEqual(ds.cases.map((c) => [c.id, c.images, c.channelInFile]), [['BRATS_001', [join(root, 'imagesTr/BRATS_001.nii.gz')], '4d']]);
    assert.deepEqual(ds.testCases, [{ id: 'BRATS_485', images: [join(root, 'imagesTs/BRATS_485.nii.gz')], channelInFile: '4d' }]);
    assert.deepEqual(ds.strayFiles, [join(root, 'imagesTr/extra.nii.gz')]);
  });
});

describe('nnU-Net v2 layout', () => {
  test('cases from imagesTr/CASE_XXXX files, labels, imagesTs, stray files', () => {
    requireData();
    const root = makeNnunetDataset('v2');
    writeFileSync(join(root, 'imagesTr', 'notes.nii.gz'), '');
    writeFileSync(join(root, 'imagesTr', 'hippocampus_004_0007.nii.gz'), ''); // channel 7 of 2
    writeFileSync(join(root, 'imagesTr', '.DS_Store'), '');
    const ds = readDataset(root);
    assert.equal(ds.layout, 'nnunetv2');
    assert.equal(ds.name, 'HippoV2');
    assert.deepEqual(ds.channelNames, ['T1', 'T1 again']);
    assert.deepEqual(ds.labels.map((l) => [l.name, l.value]), [['background', 0], ['anterior', 1], ['posterior', 2]]);
    assert.equal(ds.fileEnding, '.nii.gz');
    assert.deepEqual(ds.cases.map((c) => c.id), CASES);
    assert.deepEqual(ds.cases[1], {
      id: 'hippocampus_006',
      images: [join(root, 'imagesTr/hippocampus_006_0000.nii.gz'), join(root, 'imagesTr/hippocampus_006_0001.nii.gz')],
      channelInFile: 'separate',
      label: join(root, 'labelsTr/hippocampus_006.nii.gz'),
    });
    assert.deepEqual(ds.testCases.map((c) => [c.id, c.images.length, c.label]), [['hippocampus_008', 2, undefined]]);
    assert.deepEqual(ds.strayFiles, [join(root, 'imagesTr/hippocampus_004_0007.nii.gz'), join(root, 'imagesTr/notes.nii.gz')]);
  });

  test('a case with only a label or a missing channel still lists every expected file', () => {
    const root = makeNnunetDataset('v2_partial');
    rmSync(join(root, 'imagesTr', 'hippocampus_006_0001.nii.gz'));
    rmSync(join(root, 'imagesTr', 'hippocampus_007_0000.nii.gz'));
    rmSync(join(root, 'imagesTr', 'hippocampus_007_0001.nii.gz'));
    const ds = readDataset(root);
    assert.deepEqual(ds.cases.map((c) => c.id), CASES);
    assert.equal(ds.cases[1]!.images[1], join(root, 'imagesTr/hippocampus_006_0001.nii.gz'));
    assert.equal(ds.cases[2]!.images.length, 2);
  });

  test('region labels and regions_class_order', () => {
    const root = makeNnunetDataset('v2_regions', {
      labels: { background: 0, 'whole hippocampus': [1, 2], posterior: [2] },
      regions_class_order: [1, 2],
    });
    const ds = readDataset(root);
    assert.deepEqual(ds.labels, [
      { name: 'background', value: 0 },
      { name: 'whole hippocampus', value: 1, region: [1, 2] },
      { name: 'posterior', value: 2, region: [2] },
    ]);
    assert.deepEqual([...declaredLabelValues(ds)].sort(), [0, 1, 2]);
  });

  test("an explicit 'dataset' map replaces the folder scan", () => {
    const root = makeNnunetDataset('v2_explicit', {
      dataset: { caseA: { images: ['imagesTr/hippocampus_004_0000.nii.gz', 'imagesTr/hippocampus_004_0001.nii.gz'], label: 'labelsTr/hippocampus_004.nii.gz' } },
    });
    const ds = readDataset(root);
    assert.deepEqual(ds.cases, [{
      id: 'caseA', channelInFile: 'separate', label: join(root, 'labelsTr/hippocampus_004.nii.gz'),
      images: [join(root, 'imagesTr/hippocampus_004_0000.nii.gz'), join(root, 'imagesTr/hippocampus_004_0001.nii.gz')],
    }]);
  });
});

describe('invalid datasets raise DatasetError naming the file', () => {
  const expectError = (path: string, file: string, pattern: RegExp): void => {
    assert.throws(() => readDataset(path), (e: unknown) => {
      assert.ok(e instanceof DatasetError, `expected DatasetError, got ${String(e)}`);
      assert.equal(e.path, file);
      assert.ok(e.message.startsWith(`${file}: `), e.message);
      assert.match(e.message, pattern);
      return true;
    });
  };
  const withJson = (name: string, content: string | object): string => {
    const root = join(tmp, name);
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'dataset.json'), typeof content === 'string' ? content : JSON.stringify(content));
    return root;
  };

  test('missing folder or dataset.json', () => {
    expectError(join(tmp, 'nope'), join(tmp, 'nope'), /no such dataset folder/);
    mkdirSync(join(tmp, 'empty'));
    expectError(join(tmp, 'empty'), join(tmp, 'empty', 'dataset.json'), /not found/);
  });
  test('invalid JSON and unknown layouts', () => {
    const bad = withJson('badjson', '{"name": "x",');
    expectError(bad, join(bad, 'dataset.json'), /invalid JSON/);
    const list = withJson('list', '[1, 2]');
    expectError(list, join(list, 'dataset.json'), /must hold a JSON object/);
    const other = withJson('other', { name: 'x', training: [] });
    expectError(other, join(other, 'dataset.json'), /neither an nnU-Net v2 dataset.json .* nor an MSD one/);
  });
  test('malformed MSD fields', () => {
    const base = { modality: { 0: 'CT' }, labels: { 0: 'background', 1: 'organ' } };
    let root = withJson('msd_training', { ...base, training: [{ image: './imagesTr/a.nii.gz' }] });
    expectError(root, join(root, 'dataset.json'), /'training\[0\]' must be/);
    root = withJson('msd_notraining', base);
    expectError(root, join(root, 'dataset.json'), /'training' must be a list/);
    root = withJson('msd_modality', { ...base, modality: { 1: 'CT' }, training: [] });
    expectError(root, join(root, 'dataset.json'), /'modality' keys must be the channel indices/);
    root = withJson('msd_labels', { ...base, labels: { 0: 'background', x: 'organ' }, training: [] });
    expectError(root, join(root, 'dataset.json'), /'labels' entry "x"/);
    root = withJson('msd_dup', { ...base, training: [{ image: 'a.nii.gz', label: 'l.nii.gz' }, { image: 'a.nii.gz', label: 'm.nii.gz' }] });
    expectError(root, join(root, 'dataset.json'), /listed twice/);
  });
  test('malformed nnU-Net v2 fields', () => {
    const base = { channel_names: { 0: 'CT' }, labels: { background: 0, organ: 1 }, numTraining: 0, file_ending: '.nii.gz' };
    let root = withJson('v2_nobg', { ...base, labels: { organ: 1 } });
    expectError(root, join(root, 'dataset.json'), /must declare "background": 0/);
    root = withJson('v2_png', { ...base, file_ending: '.png' });
    expectError(root, join(root, 'dataset.json'), /file_ending '.png' is not supported/);
    root = withJson('v2_noending', { ...base, file_ending: undefined });
    expectError(root, join(root, 'dataset.json'), /'file_ending' must be/);
    root = withJson('v2_label', { ...base, labels: { background: 0, organ: 'one' } });
    expectError(root, join(root, 'dataset.json'), /'labels.organ' must be/);
    root = withJson('v2_count', { ...base, numTraining: -1 });
    expectError(root, join(root, 'dataset.json'), /'numTraining' must be/);
  });
});
