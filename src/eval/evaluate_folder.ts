/**
 * Evaluates a folder of predictions against their references and builds the summary (summary.ts).
 * Cases run in worker threads when `jobs` > 1. A missing prediction or a case that cannot be
 * evaluated is recorded in the summary and the rest go on; the caller decides the exit status. A file
 * that is clearly not a label map (an image) stops the whole evaluation with an EvaluationError.
 */
import { readDataset } from '../data/dataset/dataset.js';
import { Progress } from '../util/progress.js';
import { runPool } from '../util/worker_pool.js';
import { emptyClassMetrics } from './case_metrics.js';
import { runEvalCaseTask, type EvalCaseResult, type EvalCaseTask } from './case_task.js';
import { EvaluationError, labelClass, type EvalClass } from './label_map.js';
import { datasetClasses, niftiFilesById, pairCases, readReferences } from './pairing.js';
import { readInferenceResources, readTrainingResources } from './resources.js';
import { aggregate, type CaseEntry, type EvaluationSummary } from './summary.js';

export interface EvaluateFolderOptions {
  predictions: string;
  /** A folder of reference label files, or a dataset folder (its training labels and declared labels). */
  references: string;
  /** Dataset folder whose dataset.json names the labels, when `references` is a plain folder. */
  dataset?: string;
  /** Classes to evaluate; default: the dataset's labels, else every nonzero value in the references. */
  classes?: EvalClass[];
  nsdToleranceMm?: number;
  geometryTolerance?: number;
  /** Cases evaluated at once (worker threads when > 1). Default 1. */
  jobs?: number;
  /** Model folder with training_log.jsonl and architecture.json, for resources.training. */
  modelFolder?: string;
  /** Show a progress line (default false). */
  progress?: boolean;
  /** Only these reference cases (e.g. a fold's validation cases); default: every reference. */
  cases?: readonly string[];
}

export async function evaluateFolder(o: EvaluateFolderOptions): Promise<EvaluationSummary> {
  const nsdToleranceMm = o.nsdToleranceMm ?? 2;
  const references = readReferences(o.references);
  const dataset = o.dataset ? readDataset(o.dataset) : references.dataset;
  const wanted = o.cases ? new Set(o.cases) : null;
  const referenceFiles = wanted ? new Map([...references.files].filter(([id]) => wanted.has(id))) : references.files;
  const pairing = pairCases(niftiFilesById(o.predictions), referenceFiles);
  const declared = dataset ? datasetClasses(dataset) : undefined;
  const fixed = o.classes ?? declared ?? null;
  const names = new Map((declared ?? []).map((c) => [c.key, c.name]));
  // Read before the long part, so a wrong --model path fails at once.
  const resources = {
    training: o.modelFolder ? await readTrainingResources(o.modelFolder) : null,
    inference: readInferenceResources(o.predictions),
  };

  // Every value dataset.json gives a meaning (background, regions' members, an ignore label).
  const declaredValues = dataset ? [...new Set(dataset.labels.flatMap((l) => [l.value, ...(l.region ?? [])]))] : null;
  const tasks: EvalCaseTask[] = pairing.pairs.map((p) => ({
    id: p.id, prediction: p.prediction, reference: p.reference, classes: fixed,
    nsdToleranceMm, geometryTolerance: o.geometryTolerance ?? 1e-3, declared: declaredValues,
  }));
  const results: EvalCaseResult[] = new Array(tasks.length);
  const progress = o.progress && tasks.length > 0 ? new Progress('evaluate', tasks.length) : undefined;
  const jobs = Math.max(1, Math.min(o.jobs ?? 1, tasks.length));
  await runPool<EvalCaseTask, EvalCaseResult>({
    workerUrl: new URL('./case_worker.js', import.meta.url),
    workers: jobs > 1 ? jobs : 0,
    tasks,
    inline: runEvalCaseTask,
    describe: (t) => `case ${t.id} (${t.prediction})`,
    onResult: (r, t, i) => {
      // An image given as a label map: refuse the whole run before it writes metrics over every intensity.
      if ('refused' in r) { progress?.finish('refused'); throw new EvaluationError(r.refused); }
      results[i] = r;
      progress?.tick(1, t.id);
    },
  });

  const evaluated = results.filter((r): r is Extract<EvalCaseResult, { metrics: unknown }> => 'metrics' in r);
  const errors = results.filter((r): r is Extract<EvalCaseResult, { error: string }> => 'error' in r)
    .map((r) => ({ case: r.id, prediction_file: r.prediction_file, reference_file: r.reference_file, error: r.error }));
  progress?.finish(`${evaluated.length} evaluated, ${errors.length} failed, ${pairing.missing.length} missing`);

  const classes = fixed ?? valuesFoundInReferences(evaluated);
  const metric_per_case: CaseEntry[] = evaluated.map((r) => {
    const metrics: CaseEntry['metrics'] = {};
    // Auto classes were computed per case for the values present; a class absent from both files is empty.
    for (const c of classes) metrics[c.key] = r.metrics[c.key] ?? emptyClassMetrics(r.voxels);
    return { case: r.id, prediction_file: r.prediction_file, reference_file: r.reference_file, metrics };
  });
  return {
    metric_per_case,
    ...aggregate(metric_per_case, classes),
    labels: Object.fromEntries(classes.map((c) => [c.key, { name: c.name ?? names.get(c.key) ?? null, values: c.values }])),
    nsd_tolerance_mm: nsdToleranceMm,
    hd_percentile: 95,
    missing_predictions: pairing.missing.map((m) => ({ case: m.id, reference_file: m.reference })),
    unmatched_predictions: pairing.unmatched,
    errors,
    resources,
  };
}

/** Every nonzero label value some reference contains (n_ref > 0), ascending. */
function valuesFoundInReferences(results: readonly { metrics: Record<string, { n_ref: number }> }[]): EvalClass[] {
  const values = new Set<number>();
  for (const r of results) for (const [key, m] of Object.entries(r.metrics)) if (m.n_ref > 0) values.add(Number(key));
  return [...values].sort((a, b) => a - b).map((v) => labelClass([v]));
}
