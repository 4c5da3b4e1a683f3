/** `pspseg app MODEL.onnx`: the browser app for an exported model, as a static site, served or not. */
import { UsageError, defineCommand } from '../command.js';

const options = {
  output: { type: 'string', short: 'o', placeholder: 'DIR', help: 'the site folder to write (replaced when it is a site written before)', defaultText: 'MODEL_app/ beside the model' },
  serve: { type: 'boolean', help: 'then serve it over HTTP, with the headers WASM threads need, until Ctrl-C' },
  port: { type: 'integer', min: 0, max: 65535, default: 8000, help: 'with --serve: the port (0: any free port)' },
  host: { type: 'string', default: '127.0.0.1', placeholder: 'ADDR', help: 'with --serve: the address to listen on (0.0.0.0: every interface; browsers allow threads and WebGPU only to https or this computer\'s pages)' },
} as const;

export const app = defineCommand({
  name: 'app',
  summary: 'write the browser app for an exported model (a static site), and serve it with --serve',
  args: [{ name: 'MODEL' }],
  description: `MODEL is an ONNX file written by 'pspseg export'. Writes a static site (index.html, the page's
scripts, onnxruntime-web's WebAssembly files, the model) that segments scans in the browser: the
scan never leaves the computer, and the page makes no request except for its own files. A user
drops a NIfTI scan (one file per channel, or one 4D file) and sees it in three planes and 3-D, a
progress bar while it is segmented (WebGPU on a hardware adapter where the model allows, else
WASM on every core), the labels over it with their volumes in mL, and saves the label map as
NIfTI on the scan's grid. The model card shows the network, its parameters before and after
pruning, its training data and validation Dice. Any web server can serve the site, but browsers
refuse file:// pages, and WASM runs on all cores only with the headers
Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, which
--serve sends.`,
  options,
  check: (o, _args, given) => {
    if (!o.serve && (given.port !== undefined || given.host !== undefined)) throw new UsageError('--port and --host go with --serve');
  },
  run: async (o, [model]) => (await import('./app_run.js')).runApp({ model: model!, output: o.output, serve: o.serve, port: o.port, host: o.host }),
});
