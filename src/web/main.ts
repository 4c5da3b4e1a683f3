/**
 * The browser app's page: loads the site's model.onnx and shows its card, takes a scan (picked or
 * dropped, one file per channel or one 4D file), shows it, segments it in the inference worker with a
 * progress bar, then shows the labels over the scan with their volumes and saves the label map.
 * Whatever fails is said in the page's alert box: the page is never left blank or silently stuck.
 * `document.body.dataset.state` says where it is (loading, ready, reading, segmenting, done, error): the
 * browser test waits on it; `dataset.seconds` is the last case's segmentation time (bench:deploy reads it).
 */
import { type DeployedModel, readDeployedModel } from '../infer/deployed_model.js';
import type { Volume } from '../io/volume.js';
import { fmtDuration } from '../report/html.js';
import { type BackendChoice, type BackendRequest, type BrowserAbilities, chooseBackend, describeBackend } from './backend_choice.js';
import { type CaseInput, InputError, caseFromFiles, describeChannels } from './case_files.js';
import { downloadBytes } from './download.js';
import { secondsLeft } from './eta.js';
import { labelFileName, labelNiftiBytes, labelNiftiGz } from './label_file.js';
import { labelStyles, renderLabelRows } from './label_table.js';
import { labelCentre } from './label_centre.js';
import { labelAmounts } from './label_volumes.js';
import { modelCardHtml } from './model_card.js';
import { type PageElements, pageElements } from './page_elements.js';
import { ScanViewer, type ViewerLocation } from './viewer.js';
import type { FromWorker, ToWorker } from './worker_protocol.js';

type PageState = 'loading' | 'ready' | 'reading' | 'segmenting' | 'done' | 'error';

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

class App {
  private viewer: ScanViewer | undefined;
  private worker: Worker | undefined;
  /** From a file's arrival until its labels are shown or it failed: another file waits. */
  private busy = false;
  private result: { label: Volume; caseId: string } | undefined;
  /** The case being segmented: its name, whether it is mirrored, when it started and when its windows did. */
  private pendingCase = '';
  private mirrored = true;
  private started = 0;
  private windowsStarted = 0;

  constructor(private readonly el: PageElements, private readonly model: DeployedModel, private readonly browser: BrowserAbilities) {}

  setState(state: PageState): void { document.body.dataset.state = state; }

  showError(message: string): void {
    this.el.alert.textContent = message;
    this.el.alert.hidden = false;
    this.setState('error');
  }

  clearError(): void { this.el.alert.hidden = true; this.el.alert.textContent = ''; }

  async start(modelBytes: Uint8Array): Promise<void> {
    const { el, model } = this;
    const info = model.info;
    el.title.textContent = `${info.dataset.name} \u00b7 ${info.network.name}`;
    el.subtitle.textContent = `Segments ${info.labels.filter((l) => l.value !== 0).map((l) => l.name).join(', ')} from ${describeChannels(info.channels)}`;
    document.title = `pspseg \u00b7 ${info.dataset.name}`;
    el.modelCard.innerHTML = modelCardHtml(info);
    const many = info.channels.length > 1;
    el.dropTitle.textContent = many ? `Choose or drop ${info.channels.length} NIfTI images, one per channel` : 'Choose or drop a NIfTI image';
    el.dropHelp.textContent = many ? `${info.channels.join(', ')} (files named CASE_0000, CASE_0001, ... or one 4D file); .nii or .nii.gz` : `${info.channels[0]}; .nii or .nii.gz`;
    this.showPlan();
    el.backend.addEventListener('change', () => this.showPlan());

    this.worker = new Worker(new URL('./inference_worker.js', import.meta.url), { type: 'module' });
    this.worker.onerror = (e) => this.showError(`The inference worker failed to start: ${e.message || 'its script did not load'}.`);
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => this.onWorker(e.data);
    this.post({ type: 'model', bytes: modelBytes }, [modelBytes.buffer]);

    try {
      this.viewer = await ScanViewer.attach(el.canvas);
      this.viewer.onLocation((where) => this.showLocation(where));
    } catch (err) {
      el.viewerEmpty.textContent = `This browser cannot show the scan (${messageOf(err)}): segmenting, the volumes and Save still work.`;
    }
    el.file.addEventListener('change', () => { void this.onFiles([...el.file.files ?? []]); el.file.value = ''; });
    // Drops are taken anywhere on the page (one handler: a drop on the zone bubbles here too); a file
    // dropped outside it would otherwise make the browser leave the page to show the file.
    el.drop.addEventListener('dragover', () => el.drop.classList.add('over'));
    el.drop.addEventListener('dragleave', () => el.drop.classList.remove('over'));
    window.addEventListener('dragover', (e) => e.preventDefault());
    window.addEventListener('drop', (e) => { e.preventDefault(); el.drop.classList.remove('over'); void this.onFiles([...e.dataTransfer?.files ?? []]); });
    if (!info.mirrorAxes.length) { el.tta.checked = false; el.tta.disabled = true; el.tta.parentElement!.title = 'This model was trained without mirroring'; }
    el.opacity.addEventListener('input', () => this.viewer?.setLabelOpacity(Number(el.opacity.value)));
    el.save.addEventListener('click', () => this.save());
    this.setState('ready');
  }

  /** The line under the viewer: where the crosshair is, the intensity there, and the label. */
  private showLocation(where: ViewerLocation): void {
    const label = where.label === undefined ? '' : ` \u00b7 ${this.model.info.labels.find((l) => l.value === where.label)?.name ?? `label ${where.label}`}`;
    const intensity = Number.isInteger(where.intensity) ? String(where.intensity) : where.intensity.toPrecision(4);
    this.el.location.textContent = `voxel ${where.voxel.join(', ')} \u00b7 ${where.mm.map((v) => v.toFixed(1)).join(', ')} mm \u00b7 intensity ${intensity}${label}`;
  }

  private plan(): BackendChoice {
    const network = this.model.info.network;
    return chooseBackend(this.el.backend.value as BackendRequest, this.browser, { webgpu: network.webgpu, webgpuNote: network.webgpuNote });
  }

  private showPlan(): void {
    const p = this.plan();
    this.el.backendPlan.textContent = `Will run on ${describeBackend(p.backend, p.threads)}.${p.reason ? ` ${p.reason}` : ''}`;
  }

  private post(m: ToWorker, transfer: Transferable[] = []): void { this.worker!.postMessage(m, transfer); }

  private async onFiles(files: File[]): Promise<void> {
    if (!files.length) return;
    if (this.busy) { this.el.alert.hidden = false; this.el.alert.textContent = 'A scan is being segmented: wait until it is done.'; return; }
    this.busy = true;
    this.clearError();
    this.setState('reading'); // at once, in the change event: a state left from the last file never answers for this one
    let input: CaseInput;
    let picked: { name: string; bytes: Uint8Array }[];
    try {
      picked = await Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
      input = caseFromFiles(picked, this.model.info.channels);
    } catch (err) {
      this.busy = false;
      this.showError(err instanceof InputError ? err.message : `The file could not be read: ${messageOf(err)}`);
      return;
    }
    this.el.assignment.innerHTML = '';
    for (const a of input.assignment) {
      const li = document.createElement('li');
      li.innerHTML = '<b></b> ';
      li.firstElementChild!.textContent = a.channel;
      li.append(a.file);
      this.el.assignment.append(li);
    }
    this.el.resultPanel.hidden = true;
    this.result = undefined;
    if (this.viewer) {
      try {
        await this.viewer.showImage(picked.find((p) => p.name === input.names[0])!.bytes);
        this.el.viewerEmpty.hidden = true;
      } catch (err) {
        this.el.viewerEmpty.hidden = false;
        this.el.viewerEmpty.textContent = `The viewer could not show ${input.names[0]} (${messageOf(err)}); segmenting goes on.`;
      }
    }
    this.segment(input);
  }

  private segment(input: CaseInput): void {
    const p = this.plan();
    const el = this.el;
    this.setState('segmenting');
    el.runPanel.hidden = false;
    el.runNote.hidden = true; // the plan's reason is in the Scan panel; this says only what changed while running (a fallback)
    el.runNote.textContent = '';
    el.runBackend.textContent = `Running on ${describeBackend(p.backend, p.threads)}`;
    el.bar.style.width = '0';
    el.runStatus.textContent = 'starting';
    this.started = performance.now();
    this.pendingCase = input.id;
    this.mirrored = el.tta.checked;
    this.post({ type: 'segment', id: input.id, volumes: input.volumes, names: input.names, backend: p.backend, threads: p.threads, tta: el.tta.checked });
  }

  private onWorker(m: FromWorker): void {
    const el = this.el;
    switch (m.type) {
      case 'status':
        el.runStatus.textContent = m.text;
        return;
      case 'backend':
        el.runBackend.textContent = `Running on ${describeBackend(m.backend, m.threads)}`;
        if (m.note) { el.runNote.hidden = false; el.runNote.textContent = m.note; }
        this.windowsStarted = performance.now();
        return;
      case 'progress': {
        const elapsed = (performance.now() - this.windowsStarted) / 1000;
        el.bar.style.width = `${(100 * m.done) / m.total}%`;
        el.runStatus.textContent = `network pass ${m.done} of ${m.total} \u00b7 ${m.done === m.total ? 'finishing' : `${fmtDuration(secondsLeft(m.done, m.total, elapsed))} left`}`;
        return;
      }
      case 'done':
        document.body.dataset.seconds = String(m.seconds); // segmentVolumes' own time, for bench:deploy
        void this.onDone(m.label, m.windows);
        return;
      case 'failed':
        this.busy = false;
        el.runStatus.textContent = 'stopped';
        this.showError(m.stage === 'load'
          ? `This browser cannot run the model: ${m.message}`
          : `The scan could not be segmented: ${m.message}`);
        return;
    }
  }

  private async onDone(label: Volume, windows: number): Promise<void> {
    const el = this.el;
    const seconds = (performance.now() - this.started) / 1000;
    el.bar.style.width = '100%';
    el.runBackend.textContent = el.runBackend.textContent!.replace(/^Running on/, 'Ran on');
    el.runStatus.textContent = `done in ${fmtDuration(seconds)} (${windows} window${windows === 1 ? '' : 's'}${this.mirrored ? ', each mirrored' : ''})`;
    this.result = { label, caseId: this.pendingCase };
    const styles = labelStyles(this.model.info.labels);
    renderLabelRows(el.labelRows, labelAmounts(label, this.model.info.labels), styles, (s) => this.viewer?.restyleLabels(s));
    el.saveHelp.textContent = `${labelFileName(this.pendingCase)}: uint8 labels on the scan's grid, with its header.`;
    el.resultPanel.hidden = false;
    try {
      await this.viewer?.showLabels(labelNiftiBytes(label, 'labels.nii'), styles);
      this.viewer?.setLabelOpacity(Number(el.opacity.value));
      const centre = labelCentre(label);
      if (centre) this.viewer?.centreOn(centre);
    } catch (err) {
      this.el.alert.hidden = false;
      this.el.alert.textContent = `The viewer could not show the labels (${messageOf(err)}); the volumes and Save are right.`;
    }
    this.busy = false;
    this.setState('done');
  }

  private save(): void {
    if (!this.result) return;
    const name = labelFileName(this.result.caseId);
    downloadBytes(labelNiftiGz(this.result.label, name), name);
  }
}

async function browserAbilities(): Promise<BrowserAbilities> {
  type Adapter = { info?: { isFallbackAdapter?: boolean }; isFallbackAdapter?: boolean };
  let adapter: Adapter | null = null;
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<Adapter | null> } }).gpu;
  if (gpu) {
    try { adapter = await gpu.requestAdapter(); } catch { adapter = null; }
  }
  return {
    webgpuAdapter: adapter !== null,
    webgpuSoftware: adapter !== null && (adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false),
    crossOriginIsolated: self.crossOriginIsolated === true,
    secureContext: self.isSecureContext,
    hardwareConcurrency: navigator.hardwareConcurrency || 1,
  };
}

async function boot(): Promise<void> {
  const el = pageElements();
  const fail = (message: string): void => {
    el.alert.textContent = message;
    el.alert.hidden = false;
    document.body.dataset.state = 'error';
  };
  window.addEventListener('error', (e) => fail(`Something went wrong in the page: ${e.message}`));
  window.addEventListener('unhandledrejection', (e) => fail(`Something went wrong in the page: ${messageOf(e.reason)}`));

  let bytes: Uint8Array;
  try {
    const response = await fetch('model.onnx');
    if (!response.ok) throw new Error(`the server answered ${response.status} ${response.statusText}`);
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (err) {
    el.subtitle.textContent = 'No model';
    el.modelCard.textContent = '';
    fail(`The model file (model.onnx, beside this page) could not be loaded: ${messageOf(err)}. Open the page through \`pspseg app MODEL --serve\`, or any web server: browsers do not let a page read files from file://.`);
    return;
  }
  let model: DeployedModel;
  try {
    model = readDeployedModel(bytes, 'model.onnx');
  } catch (err) {
    el.subtitle.textContent = 'A model this page cannot run';
    el.modelCard.textContent = '';
    fail(`model.onnx is not a pspseg model this page can run: ${messageOf(err)}`);
    return;
  }
  await new App(el, model, await browserAbilities()).start(bytes);
}

void boot();
