/**
 * `pspseg check`, `plan` and `preprocess` on every bundled sample (CT, anisotropic, PSR
 * orientation, int16 images, float labels, two-channel MRI), each laid out as an nnU-Net v2
 * dataset of links to the read-only files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers.js';
import { SAMPLES_DIR, layoutSample as layout, samples } from './helpers/sample_datasets.js';
import { check } from '../src/cli/commands/check.js';
import { plan } from '../src/cli/commands/plan.js';
import { preprocess } from '../src/cli/commands/preprocess.js';
import { loadPlan } from '../src/data/plan/plan_file.js';

for (const d of samples) {
  test(`check, plan and preprocess work on the ${d.name} sample`, { skip: !existsSync(SAMPLES_DIR) && 'no shared data' }, async (t) => {
    const root = tempDir(t, 'pspseg-samples-');
    const dir = layout(root, d);
    const work = join(root, 'work');
    const prev = process.env.PSPSEG_WORK;
    process.env.PSPSEG_WORK = work;
    try {
      assert.equal(await check.run([dir, '--quiet']), 0, 'check passes');
      assert.equal(await plan.run([dir, '--quiet']), 0, 'plan succeeds');
      const p = await loadPlan(join(work, d.name, 'plan.json'));
      assert.equal(p.channels.length, d.channels.length);
      assert.equal(p.channels[0].scheme, d.channels[0] === 'CT' ? 'CT' : 'zscore');
      assert.equal(await preprocess.run([dir, '--quiet']), 0, 'preprocess succeeds');
      const files = readdirSync(join(work, d.name, 'preprocessed')).filter((f) => f.endsWith('.pspcase'));
      assert.equal(files.length, d.cases.length);
    } finally {
      if (prev === undefined) delete process.env.PSPSEG_WORK; else process.env.PSPSEG_WORK = prev;
    }
  });
}
