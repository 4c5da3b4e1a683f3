/**
 * bench:deploy's child for onnxruntime-web's WASM backend in Node: one model, one thread count (fixed
 * per process), the cases given; prints one JSON line per case timing and writes the label maps to
 * OUT/<id>.<tta|plain>.u8 for the agreement check.
 * Arguments: MODEL.onnx THREADS OUT MIRRORING(0,1) CASE_FILE...
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { readDeployedModel } from '../src/infer/deployed_model.js';
import { onnxWindowForward } from '../src/infer/onnx_forward.js';
import { caseId, modelBytes, timeCases } from './deploy_engines.js';

const [modelPath, threadsText, out, mirroringText, ...files] = process.argv.slice(2);
const threads = Number(threadsText);
ort.env.wasm.numThreads = threads;
const model = readDeployedModel(modelBytes(modelPath!), modelPath!);
const session = await ort.InferenceSession.create(model.bytes, { executionProviders: ['wasm'] });
const forward = onnxWindowForward(ort, session, `onnxruntime-web wasm (${threads} thread${threads > 1 ? 's' : ''})`);
const mirroring = mirroringText!.split(',').map((v) => v === '1');
for (const r of await timeCases(model, forward, files.map((f) => ({ id: caseId(f), files: [f] })), mirroring)) {
  writeFileSync(join(out!, `${r.id}.${r.tta ? 'tta' : 'plain'}.u8`), r.labels);
  console.log(JSON.stringify({ id: r.id, tta: r.tta, seconds: r.seconds, windows: r.windows }));
}
await session.release();
process.exit(0); // onnxruntime-web's worker threads would keep the process alive
