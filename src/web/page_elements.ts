/** The elements of index.html the app drives, looked up once; a missing one is a broken page, said at once. */

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no element #${id}`);
  return el as T;
}

export function pageElements() {
  return {
    title: byId('title'), subtitle: byId('subtitle'), alert: byId('alert'),
    drop: byId<HTMLLabelElement>('drop'), file: byId<HTMLInputElement>('file'), dropTitle: byId('drop-title'), dropHelp: byId('drop-help'),
    assignment: byId<HTMLUListElement>('assignment'), backend: byId<HTMLSelectElement>('backend'), tta: byId<HTMLInputElement>('tta'),
    backendPlan: byId('backend-plan'),
    runPanel: byId('run-panel'), runBackend: byId('run-backend'), runNote: byId('run-note'), bar: byId('bar'), runStatus: byId('run-status'),
    resultPanel: byId('result-panel'), labelRows: byId<HTMLTableSectionElement>('label-rows'), opacity: byId<HTMLInputElement>('opacity'),
    save: byId<HTMLButtonElement>('save'), saveHelp: byId('save-help'),
    canvas: byId<HTMLCanvasElement>('viewer'), viewerEmpty: byId('viewer-empty'), location: byId('location'),
    modelCard: byId('model-card'),
  };
}

export type PageElements = ReturnType<typeof pageElements>;
