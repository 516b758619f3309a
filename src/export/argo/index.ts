// Export to Argo Workflows: a runbook (and a fleet) as a Workflow or WorkflowTemplate whose tasks run `opsbook step run`.

export { exportArgoWorkflow, ExportRefused, RETRYABLE_EXIT_CODE, RUNBOOK_PATH, OUT_DIR, KUBECONFIG_PATH, type ArgoExport, type ArgoExportOptions, type ArgoFleet } from './workflow.js';
