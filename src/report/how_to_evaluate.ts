/**
 * The commands that produce the evaluation a report looks for: predict the fold's validation cases
 * into <fold>/validation/, evaluate them there, and rebuild the report.
 */
import { join } from 'node:path';
import { VALIDATION_DIR } from '../models/model_folder.js';
import type { FoldInputs } from './fold_inputs.js';
import { code, esc } from './html.js';

/** Shell quoting for paths shown in commands. */
const q = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export interface EvaluationCommands { predict: string; evaluate: string; report: string }

export function evaluationCommands(f: FoldInputs): EvaluationCommands {
  const out = join(f.folder, VALIDATION_DIR);
  const valCases = new Set(f.config?.valCases ?? []);
  const images = f.dataset ? f.dataset.cases.filter((c) => valCases.has(c.id)).flatMap((c) => c.images) : [];
  const inputs = images.length ? images.map((p) => `-i ${q(p)}`) : ['-i IMAGES_OF_THE_VALIDATION_CASES'];
  const references = f.dataset?.root ?? f.plan?.dataset.root ?? 'DATASET_FOLDER';
  return {
    predict: [`pspseg predict -m ${q(f.folder)} \\`, `  -o ${q(out)} \\`, ...inputs.map((a, i) => `  ${a}${i < inputs.length - 1 ? ' \\' : ''}`)].join('\n'),
    evaluate: `pspseg evaluate ${q(out)} \\\n  ${q(references)} \\\n  --model ${q(f.folder)} --allow-missing`,
    report: `pspseg report ${q(f.folder)}`,
  };
}

/** The "how to produce one" box for a report without an evaluation. */
export function howToEvaluate(f: FoldInputs): string {
  const n = f.config?.valCases.length;
  const c = evaluationCommands(f);
  return `<div class="notice"><p><strong>No evaluation found</strong> (looked for ${code(f.summaryFile)}). To produce one:</p>
<ol class="steps">
<li>predict this fold's ${n ? `${n} ` : ''}validation cases into ${code(join(f.folder, VALIDATION_DIR))}:<pre class="commands">${esc(c.predict)}</pre></li>
<li>score them against the dataset's labels (${code('--allow-missing')}: the dataset's other cases are not predicted):<pre class="commands">${esc(c.evaluate)}</pre></li>
<li>rebuild this report:<pre class="commands">${esc(c.report)}</pre></li>
</ol>
<p>An evaluation elsewhere can be named with ${code('pspseg report MODEL_FOLDER --summary FILE')}.</p></div>`;
}
