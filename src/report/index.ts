// Run reports (issue 15): a model folded from a run's journal (or a fleet's record and runs), and pure renderers of it.

export { buildRunReport, SECRET_MASK, type BuildOptions } from './build.js';
export { loadReport, loadRunReport, loadFleetReport } from './load.js';
export { renderReport, reportFormatOf, REPORT_FORMATS, type ReportFormat } from './render.js';
export type { Report, RunReport, FleetReport, ReportStep, ReportAttempt, ReportGap } from './model.js';
