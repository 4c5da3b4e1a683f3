/**
 * What a new user hit in check, plan and preprocess (issue 7), end to end through the commands on a
 * small nnU-Net copy of the hippocampus set: a repaired file is picked up, plan and preprocess run the
 * check and refuse what it rejects, fine spacings are refused for memory, a second run on the work
 * folder is refused naming the first, and case errors name the command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { plan } from '../src/cli/commands/plan.js';
import { preprocess } from '../src/cli/commands/preprocess.js';
import { check } from '../src/cli/commands/check.js';
import { readCaseFile } from '../src/data/preprocess/case_file.js';
import { readNifti, writeNifti } from '../src/io/nifti.js';
import { HIPPOCAMPUS_DIR, requireData } from './helpers/shared_data.js';
import { tempDir } from './helpers.js';

const IDS = ['hippocampus_004', 'hippocampus_006', 'hippocampus_007'];
const HOLDER = fileURLToPath(new URL('./helpers/lock_holder.js', import.meta.url));

/** root/T: an nnU-Net v2 copy of three hippocampus cases; work files under root/work. */
function setup(root: string, ids = IDS): { dir: string; work: string; label: (id: string) => string; image: (id: string) => string } {
  requireData();
  const dir = join(root, 'T');
  for (const sub of ['imagesTr', 'labelsTr']) mkdirSync(join(dir, sub), { recursive: true });
  const image = (id: string) => join(dir, 'imagesTr', `${id}_0000.nii.gz`);
  const label = (id: string) => join(dir, 'labelsTr', `${id}.nii.gz`);
  for (const id of ids) {
    copyFileSync(join(HIPPOCAMPUS_DIR, 'imagesTr', `${id}.nii.gz`), image(id));
    copyFileSync(join(HIPPOCAMPUS_DIR, 'labelsTr', `${id}.nii.gz`), label(id));
  }
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify({
    name: 'T', channel_names: { 0: 'T1' }, labels: { background: 0, anterior: 1, posterior: 2 }, numTraining: ids.length, file_ending: '.nii.gz',
  }));
  return { dir, work: join(root, 'work', 'T'), label, image };
}

/** Runs a command in this process with PSPSEG_WORK set, capturing what it prints. */
async function run(root: string, command: { run(argv: string[]): Promise<number> }, args: string[], env: Record<string, string> = {}) {
  const out: string[] = [], err: string[] = [];
  const [log, error] = [console.log, console.error];
  const saved = { ...process.env };
  Object.assign(process.env, { PSPSEG_WORK: join(root, 'work') }, env);
  console.log = (...a: unknown[]) => { out.push(a.join(' ')); };
  console.error = (...a: unknown[]) => { err.push(a.join(' ')); };
  try {
    return { code: await command.run([...args, '--quiet']), out: out.join('\n'), err: err.join('\n') };
  } finally {
    [console.log, console.error] = [log, error];
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

async function setVoxel(path: string, index: number, value: number): Promise<void> {
  const v = await readNifti(path);
  v.data[index] = value;
  await writeNifti(path, v);
}

/** A foreground voxel of the label (so that the edit changes the class counts). */
async function foregroundIndex(path: string): Promise<number> {
  return (await readNifti(path)).data.findIndex((x) => Number(x) === 1);
}

test('a repaired label is picked up: the plan is known stale, the case is redone, no other', async (t) => {
  const root = tempDir(t);
  const { dir, work, label } = setup(root);
  assert.equal((await run(root, plan, [dir])).code, 0);
  assert.equal((await run(root, preprocess, [dir])).code, 0);
  const fileOf = (id: string) => join(work, 'preprocessed', `${id}.pspcase`);
  const before = (await readCaseFile(fileOf(IDS[1]!))).properties.classVoxels;

  // the user "repairs" a label: one anterior voxel becomes posterior
  await setVoxel(label(IDS[1]!), await foregroundIndex(label(IDS[1]!)), 2);
  assert.equal((await run(root, check, [dir])).code, 0, 'check passes');
  const stale = await run(root, preprocess, [dir]);
  assert.equal(stale.code, 1, 'preprocess refuses the stale plan');
  assert.match(stale.err, new RegExp(`^pspseg preprocess: ${join(work, 'plan.json')} was made from an earlier state of the dataset:\\n  case ${IDS[1]}: ${label(IDS[1]!)} changed\\nRun 'pspseg plan`));
  assert.equal((await run(root, plan, [dir])).code, 0);
  const redo = await run(root, preprocess, [dir]);
  assert.equal(redo.code, 0, redo.err);
  assert.match(redo.out, new RegExp(`redone: ${IDS[1]} \\(source files changed\\)`));
  const after = (await readCaseFile(fileOf(IDS[1]!))).properties.classVoxels;
  assert.notDeepEqual(after, before, 'the stored label is the repaired one');
  const again = await run(root, preprocess, [dir]);
  assert.doesNotMatch(again.out, /redone/);
});

test('plan and preprocess refuse what check rejects, listing every problem; --skip-check goes on; nothing undeclared reaches cases.json', async (t) => {
  const root = tempDir(t);
  const { dir, work, label } = setup(root);
  await setVoxel(label(IDS[0]!), 100, 5); // an undeclared label value
  const l2 = await readNifti(label(IDS[2]!));
  l2.spacing = [1.5, 1, 1];
  l2.affine[0]![0]! *= 1.5;
  await writeNifti(label(IDS[2]!), l2); // a label on another grid than its image

  const planned = await run(root, plan, [dir]);
  assert.equal(planned.code, 1);
  assert.match(planned.err, /^pspseg plan: .*the dataset check found 2 error\(s\):/);
  assert.match(planned.err, new RegExp(`ERROR   ${IDS[0]} labelsTr/${IDS[0]}.nii.gz: label values not declared in dataset.json: 5 \\(1 voxels\\)`));
  assert.match(planned.err, new RegExp(`ERROR   ${IDS[2]} labelsTr/${IDS[2]}.nii.gz: label spacing 1.5x1x1 mm differs`));
  assert.match(planned.err, /or pass --skip-check to go on anyway\.$/);
  assert.ok(!existsSync(join(work, 'plan.json')), 'no plan written');

  const skipped = await run(root, plan, [dir, '--skip-check']);
  assert.equal(skipped.code, 0, skipped.err);
  assert.match(skipped.out, /check: 2 error\(s\), going on anyway \(--skip-check\):/);
  const pre = await run(root, preprocess, [dir]);
  assert.equal(pre.code, 1);
  assert.match(pre.err, /^pspseg preprocess: .*the dataset check found 2 error\(s\):/);
  const forced = await run(root, preprocess, [dir, '--skip-check']);
  assert.equal(forced.code, 1);
  // the case is named once, by the task that failed (it was "preprocessing case X: case X: ...")
  assert.match(forced.err, new RegExp(`^pspseg preprocess: preprocessing case ${IDS[0]}: label values 5 \\(1 voxels\\) are not among the plan's labels \\(0, 1, 2\\)`));
  const manifest = join(work, 'preprocessed', 'cases.json');
  if (existsSync(manifest)) assert.doesNotMatch(readFileSync(manifest, 'utf8'), /"5"/);
});

test('preprocess on a dataset without cases fails; case errors are prefixed with the command', async (t) => {
  const root = tempDir(t);
  const { dir } = setup(root);
  assert.equal((await run(root, plan, [dir])).code, 0);
  rmSync(join(dir, 'imagesTr'), { recursive: true });
  rmSync(join(dir, 'labelsTr'), { recursive: true });
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'dataset.json'), 'utf8')), numTraining: 0 }));
  const empty = await run(root, preprocess, [dir, '--keep-plan']);
  assert.equal(empty.code, 1);
  assert.match(empty.err, /no training cases found/);
  const skipping = await run(root, preprocess, [dir, '--keep-plan', '--skip-check']);
  assert.equal(skipping.code, 1);
  assert.match(skipping.err, /^pspseg preprocess: the dataset has no training cases/);

  const again = setup(join(root, 'again'));
  writeFileSync(again.label(IDS[0]!), ''); // an empty file
  const r = await run(join(root, 'again'), plan, [again.dir, '--skip-check']);
  assert.equal(r.code, 1);
  assert.match(r.err, new RegExp(`^pspseg plan: fingerprint of case ${IDS[0]}: ${again.label(IDS[0]!)}: `));
});

test('memory: a very fine target spacing is refused at plan time naming the case; workers drop to what fits', async (t) => {
  const root = tempDir(t);
  const { dir, work } = setup(root);
  const fine = await run(root, plan, [dir, '--target-spacing', '0.1,0.1,0.1'], { PSPSEG_MEMORY: '1G' });
  assert.equal(fine.code, 1);
  assert.match(fine.err, /^pspseg plan: preprocessing case hippocampus_\d+ \(1 channel\(s\), \d+ x \d+ x \d+ \(x, y, z\) voxels -> \d+ x \d+ x \d+ \(x, y, z\) at 0\.1 x 0\.1 x 0\.1 mm \(x, y, z\)\) needs about [\d.]+ GB of memory \(estimate\), but 1\.0 GB is available; use a coarser target spacing \(--target-spacing X,Y,Z\)/);
  assert.ok(!existsSync(join(work, 'plan.json')));

  assert.equal((await run(root, plan, [dir])).code, 0);
  const few = await run(root, preprocess, [dir, '--workers', '3'], { PSPSEG_MEMORY: '150M' });
  assert.equal(few.code, 0, few.err);
  assert.match(few.out, /preprocess: 1 case\(s\) at a time instead of 3: the largest \(hippocampus_\d+\) needs about \d+ MB, 150 MB is available/);
});

test('a second run on the work folder is refused, naming the first (pid, command, start time)', async (t) => {
  const root = tempDir(t);
  const { dir, work } = setup(root);
  assert.equal((await run(root, plan, [dir])).code, 0);
  mkdirSync(join(work, 'preprocessed'), { recursive: true });
  const child = spawn(process.execPath, [HOLDER, join(work, 'preprocessed'), '60000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill());
  const holder = await new Promise<{ pid: number }>((resolve) => child.stdout!.once('data', (d) => resolve(JSON.parse(String(d)))));
  const second = await run(root, preprocess, [dir]);
  assert.equal(second.code, 1);
  assert.match(second.err, new RegExp(`^pspseg preprocess: ${join(work, 'preprocessed')} is in use by another pspseg run: pid ${holder.pid}, 'lock_holder test', started \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d`));
  const planLock = spawn(process.execPath, [HOLDER, work, '60000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => planLock.kill());
  await new Promise((resolve) => planLock.stdout!.once('data', resolve));
  const replan = await run(root, plan, [dir]);
  assert.equal(replan.code, 1);
  assert.match(replan.err, /^pspseg plan: .* is in use by another pspseg run/);
});

test('axes: --target-spacing reads x, y, z as check and plan print them; plan.json names them', async (t) => {
  const root = tempDir(t);
  const { dir, work } = setup(root);
  const checked = await run(root, check, [dir]);
  assert.match(checked.out, /shapes: {3}\d+(-\d+)? x \d+(-\d+)? x \d+(-\d+)? voxels \(x, y, z\)/);
  assert.match(checked.out, /spacing: {2}1 x 1 x 1 mm \(x, y, z\)/);
  // x coarsest: the network puts it first
  const planned = await run(root, plan, [dir, '--target-spacing', '3,1.5,1']);
  assert.equal(planned.code, 0, planned.err);
  assert.match(planned.out, /target spacing 3 x 1\.5 x 1 mm \(x, y, z\)/);
  assert.match(planned.out, /network axis order x, z, y/);
  const stored = JSON.parse(readFileSync(join(work, 'plan.json'), 'utf8'));
  assert.deepEqual(stored.targetSpacing, { x: 3, y: 1.5, z: 1 });
  assert.deepEqual(stored.networkAxes, ['x', 'z', 'y']);
  // the median shape per axis, from the images' own sizes (NIfTI dims) at the new spacing
  const sizes = await Promise.all(IDS.map(async (id) => (await readNifti(join(HIPPOCAMPUS_DIR, 'imagesTr', `${id}.nii.gz`))).shape));
  const median = (v: number[]) => v.sort((a, b) => a - b)[1]!;
  const expected = { x: median(sizes.map((s) => Math.round(s[0] / 3))), y: median(sizes.map((s) => Math.round(s[1] / 1.5))), z: median(sizes.map((s) => s[2])) };
  assert.deepEqual(stored.medianShape, expected);
  assert.match(planned.out, new RegExp(`median shape ${expected.x} x ${expected.y} x ${expected.z} \\(x, y, z\\)`));
  assert.match(planned.out, new RegExp(`patch ${stored.patchSize.x} x ${stored.patchSize.y} x ${stored.patchSize.z} \\(x, y, z\\)`));
});
