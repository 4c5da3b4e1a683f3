/**
 * Atomic writes and resuming: finished cases are never redone, torn/missing/stale outputs are, and a
 * run killed mid-way leaves only complete case files behind.
 */
import { test } from 'node:test';
import { dataRoot } from './helpers.js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDataset } from '../src/data/dataset/dataset.js';
import { readCaseFile } from '../src/data/preprocess/case_file.js';
import { planDataset } from '../src/data/plan/plan.js';
import type { Plan } from '../src/data/plan/plan_schema.js';
import { savePlan } from '../src/data/plan/plan_file.js';
import { caseFilePath, preprocessDataset } from '../src/data/preprocess/preprocess_dataset.js';

const DATA = dataRoot;
const HIPPO = join(DATA, 'Task04_Hippocampus');
const full = readDataset(HIPPO);
const small = { ...full, cases: full.cases.slice(0, 6) };
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

async function mtimes(dir: string, ids: readonly string[]): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const id of ids) m.set(id, (await stat(caseFilePath(dir, id))).mtimeMs);
  return m;
}

let plan: Plan;

test('rerun skips finished cases and redoes missing, torn and stale ones', async () => {
  ({ plan } = await planDataset(small, { workers: 2, foregroundSamples: 1e6 }));
  const dir = await mkdtemp(join(tmpdir(), 'pspseg-resume-'));
  try {
    const ids = small.cases.map((c) => c.id);
    const first = await preprocessDataset(small, plan, { outDir: dir, workers: 2 });
    assert.deepEqual([...first.processed].sort(), ids);
    assert.deepEqual(first.skipped, []);
    const before = await mtimes(dir, ids);

    await truncate(caseFilePath(dir, ids[1]!), 100); // a torn file (as a non-atomic writer would leave)
    await unlink(caseFilePath(dir, ids[2]!));
    const stale = `${caseFilePath(dir, ids[3]!)}.tmp-999-deadbeef`;
    await writeFile(stale, 'partial');
    const again = await preprocessDataset(small, plan, { outDir: dir, workers: 2 });
    assert.deepEqual([...again.processed].sort(), [ids[1], ids[2]]);
    assert.deepEqual(again.skipped, [ids[0], ids[3], ids[4], ids[5]]);
    const after = await mtimes(dir, ids);
    for (const id of again.skipped) assert.equal(after.get(id), before.get(id), `${id} was rewritten`);
    assert.ok(!(await readdir(dir)).some((f) => f.includes('.tmp-')), 'stale temp file left behind');
    await readCaseFile(caseFilePath(dir, ids[1]!));

    // patch/batch edits keep the data valid; a new target spacing invalidates every case
    const edited = await preprocessDataset(small, { ...plan, patchSize: [32, 32, 32], batchSize: 7 }, { outDir: dir, workers: 0 });
    assert.equal(edited.processed.length, 0);
    const respaced = await preprocessDataset(small, { ...plan, targetSpacing: [1.5, 1.5, 1.5] }, { outDir: dir, workers: 2 });
    assert.equal(respaced.processed.length, ids.length);
    const rs = await readCaseFile(caseFilePath(dir, ids[0]!));
    assert.deepEqual(rs.properties.spacingAfterResampling, [1.5, 1.5, 1.5]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a killed `pspseg preprocess` leaves only complete files, and the rerun does not redo them', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pspseg-kill-'));
  try {
    const planPath = join(dir, 'plan.json'), out = join(dir, 'out');
    await savePlan(planPath, plan);
    // --keep-plan: the plan was made from the 6-case subset, so for the whole dataset it is stale
    const child = spawn(process.execPath, [CLI, 'preprocess', HIPPO, '--plan', planPath, '--out', out, '--workers', '1', '--quiet', '--keep-plan'], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 30_000;
    let done: string[] = [];
    while (Date.now() < deadline) {
      done = (await readdir(out).catch(() => [] as string[])).filter((f) => f.endsWith('.pspcase'));
      if (done.length >= 5) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await exited;
    done = (await readdir(out)).filter((f) => f.endsWith('.pspcase'));
    assert.ok(done.length >= 5 && done.length < full.cases.length, `${done.length} cases finished before the kill`);
    for (const f of done) await readCaseFile(join(out, f)); // every published file is complete

    const before = await mtimes(out, done.map((f) => f.replace('.pspcase', '')));
    const rerun = await preprocessDataset(full, plan, { outDir: out, workers: 2 });
    for (const id of before.keys()) assert.ok(rerun.skipped.includes(id), `${id} was redone`);
    assert.equal(rerun.processed.length + rerun.skipped.length, full.cases.length);
    const after = await mtimes(out, [...before.keys()]);
    for (const [id, t] of before) assert.equal(after.get(id), t);
    assert.ok(!(await readdir(out)).some((f) => f.includes('.tmp-')));
    console.log(`killed after ${done.length} cases; rerun: ${rerun.processed.length} done, ${rerun.skipped.length} skipped in ${rerun.seconds.toFixed(2)} s`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a case is redone when a source file changes size or mtime (a touched file too); unchanged cases are not', async () => {
  const { mkdir, copyFile, utimes } = await import('node:fs/promises');
  const root = await mkdtemp(join(tmpdir(), 'pspseg-sources-'));
  try {
    const ids = small.cases.slice(0, 3).map((c) => c.id);
    const cases = small.cases.slice(0, 3).map((c) => ({ ...c, images: [join(root, `${c.id}.nii.gz`)], label: join(root, `${c.id}_seg.nii.gz`) }));
    await mkdir(root, { recursive: true });
    for (const [i, c] of small.cases.slice(0, 3).entries()) {
      await copyFile(c.images[0]!, cases[i]!.images[0]!);
      await copyFile(c.label!, cases[i]!.label!);
    }
    const ds = { cases }, out = join(root, 'out');
    const { plan: p } = await planDataset({ ...small, cases }, { workers: 0, foregroundSamples: 1e5 });
    assert.equal((await preprocessDataset(ds, p, { outDir: out, workers: 0 })).processed.length, 3);
    const same = await preprocessDataset(ds, p, { outDir: out, workers: 0 });
    assert.deepEqual(same.skipped, ids);
    // same content, new mtime (a file copied over with the same bytes, or touched)
    const later = new Date(Date.now() + 5000);
    await utimes(cases[1]!.label!, later, later);
    const touched = await preprocessDataset(ds, p, { outDir: out, workers: 0 });
    assert.deepEqual(touched.processed, [ids[1]]);
    assert.deepEqual(touched.reasons, { [ids[1]!]: 'sources' });
    // the same image written again with another compression: the size differs
    const { readNifti, writeNifti } = await import('../src/io/nifti.js');
    await writeNifti(cases[2]!.images[0]!, await readNifti(cases[2]!.images[0]!), { compressionLevel: 9 });
    const swapped = await preprocessDataset(ds, p, { outDir: out, workers: 0 });
    assert.deepEqual(swapped.reasons, { [ids[2]!]: 'sources' });
    const stored = await readCaseFile(caseFilePath(out, ids[2]!));
    assert.deepEqual(stored.properties.sources!.map((s) => s.path), [cases[2]!.images[0], cases[2]!.label]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
