// Exporters: a runbook as another engine's workflow, each step still running opsbook's own code (`opsbook step run`).

export { exportArgoWorkflow, ExportRefused, RETRYABLE_EXIT_CODE, RUNBOOK_PATH, OUT_DIR, KUBECONFIG_PATH, type ArgoExport, type ArgoExportOptions, type ArgoFleet } from './argo/index.js';
