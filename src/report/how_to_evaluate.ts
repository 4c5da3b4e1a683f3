/**
 * The commands that produce the evaluation a report looks for: predict the fold's validation cases
 * into <fold>/validation/, evaluate them there, and rebuild the report.
 */
import { join } from 'node:path';
import { VALIDATION_DIR } from './fold_inputs.js';
import type { FoldInputs } from './fold_inputs.js';
import { code, esc } from './html.js';

/** Shell quoting for paths shown in commands. */
const q = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export function evaluationCommands(f: FoldInputs): string {
  const out = join(f.folder, VALIDATION_DIR);
  const valCases = new Set(f.config?.valCases ?? []);
  const images = f.dataset ? f.dataset.cases.filter((c) => valCases.has(c.id)).flatMap((c) => c.images) : [];
  const inputs = images.length ? images.map((p) => `-i ${q(p)}`) : ['-i IMAGES_OF_THE_VALIDATION_CASES'];
  const references = f.dataset?.root ?? f.plan?.dataset.root ?? 'DATASET_FOLDER';
  return [
    `pspseg predict -m ${q(f.folder)} -o ${q(out)} \\`,
    ...inputs.map((a, i) => `  ${a}${i < inputs.length - 1 ? ' \\' : ''}`),
    `pspseg evaluate ${q(out)} ${q(references)} --model ${q(f.folder)} --allow-missing`,
    `pspseg report ${q(f.folder)}`,
  ].join('\n');
}

/** The "how to produce one" box for a report without an evaluation. */
export function howToEvaluate(f: FoldInputs): string {
  const n = f.config?.valCases.length;
  return `<div class="notice"><p><strong>No evaluation found</strong> (looked for ${code(f.summaryFile)}).
To produce one, predict this fold's ${n ? `${n} ` : ''}validation cases into ${code(join(f.folder, VALIDATION_DIR))},
score them against the dataset's labels (${esc('--allow-missing')}: the other cases of the dataset are not predicted) and rebuild this report:</p>
<pre class="commands">${esc(evaluationCommands(f))}</pre>
<p>An evaluation elsewhere can be named with ${code('pspseg report MODEL_FOLDER --summary FILE')}.</p></div>`;
}
