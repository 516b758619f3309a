// Reads, validates (schemas/scenario.schema.json) and normalises scenario files and objects.

import { readFileSync } from 'node:fs';
import { RunbookError, type Diagnostic } from '../../errors.js';
import { readUserText } from '../../files/read-user-file.js';
import { packagePath } from '../../paths.js';
import { validateAgainstSchema, formatPath, type PathSegment } from '../../schema/index.js';
import { parseYamlWithPositions, type Locate } from '../../yaml/index.js';
import type { ScenarioInput } from './input.js';
import { normalizeScenario } from './normalize.js';
import type { Scenario } from './types.js';

let schema: object | undefined;

/** The scenario JSON Schema, read once from schemas/ (the same file in src and dist layouts). */
export function getScenarioSchema(): object {
  schema ??= JSON.parse(readFileSync(packagePath('schemas', 'scenario.schema.json'), 'utf8')) as object;
  return schema;
}

/** Cross-field rules the schema cannot express (unique names, references to machines). */
function checkReferences(input: ScenarioInput): Array<{ path: PathSegment[]; message: string }> {
  const problems: Array<{ path: PathSegment[]; message: string }> = [];
  const seen = new Map<string, string>();
  const note = (name: string, path: PathSegment[]) => {
    const first = seen.get(name);
    if (first) problems.push({ path, message: `duplicate node name "${name}" (already used at ${first})` });
    else seen.set(name, formatPath(path));
  };
  (input.nodes ?? []).forEach((n, i) => note(n.name, ['nodes', i, 'name']));
  (input.machines ?? []).forEach((m, i) => note(m.name, ['machines', i, 'name']));
  const machines = new Set((input.machines ?? []).map((m) => m.name));
  const all = new Set(seen.keys());
  (input.rogues ?? []).forEach((r, i) => {
    if (r.node && r.kind !== 'unknown-machine' && !all.has(r.node)) problems.push({ path: ['rogues', i, 'node'], message: `"${r.node}" is not a node or machine of this scenario` });
    if (r.victim && !all.has(r.victim)) problems.push({ path: ['rogues', i, 'victim'], message: `"${r.victim}" is not a node or machine of this scenario` });
    if (!r.node && r.kind !== 'unknown-machine' && machines.size === 0) problems.push({ path: ['rogues', i], message: `a ${r.kind} rogue needs a joining machine (or "node")` });
  });
  problems.push(...checkAssisted(input));
  problems.push(...checkControlPlane(input));
  return problems;
}

/** The control-plane section: a kubeadm (kubernetes-flavoured) cluster, node names unique. */
function checkControlPlane(input: ScenarioInput): Array<{ path: PathSegment[]; message: string }> {
  const cp = input.controlPlane;
  if (!cp) return [];
  const problems: Array<{ path: PathSegment[]; message: string }> = [];
  if ((input.flavour ?? 'openshift') !== 'kubernetes') {
    problems.push({ path: ['controlPlane'], message: 'simulated control-plane nodes are kubeadm nodes (Anthos on bare metal): set flavour: kubernetes' });
  }
  const seen = new Map<string, number>();
  cp.nodes.forEach((n, i) => {
    if (seen.has(n.name)) problems.push({ path: ['controlPlane', 'nodes', i, 'name'], message: `duplicate node "${n.name}" (already controlPlane.nodes[${seen.get(n.name)}])` });
    else seen.set(n.name, i);
  });
  return problems;
}

/** The Assisted Installer section: OpenShift only, unique host names, no fixed joinAt for a machine it installs. */
function checkAssisted(input: ScenarioInput): Array<{ path: PathSegment[]; message: string }> {
  const ai = input.assistedInstaller;
  if (!ai) return [];
  const problems: Array<{ path: PathSegment[]; message: string }> = [];
  if ((input.flavour ?? 'openshift') !== 'openshift') {
    problems.push({ path: ['assistedInstaller'], message: 'the Assisted Installer adds hosts to OpenShift clusters; this scenario is flavour "kubernetes"' });
  }
  const hosts = new Map<string, number>();
  (ai.hosts ?? []).forEach((h, i) => {
    if (hosts.has(h.name)) problems.push({ path: ['assistedInstaller', 'hosts', i, 'name'], message: `duplicate host "${h.name}" (already assistedInstaller.hosts[${hosts.get(h.name)}])` });
    else hosts.set(h.name, i);
    const ids = new Set<string>();
    (h.validations ?? []).forEach((v, j) => {
      if (ids.has(v.id)) problems.push({ path: ['assistedInstaller', 'hosts', i, 'validations', j, 'id'], message: `validation "${v.id}" is listed twice for this host` });
      ids.add(v.id);
    });
  });
  (input.machines ?? []).forEach((m, i) => {
    const host = hosts.get(m.name);
    if (host !== undefined && m.joinAt !== undefined) {
      problems.push({
        path: ['machines', i, 'joinAt'],
        message: `"${m.name}" joins when the Assisted Installer finishes installing it (assistedInstaller.hosts[${host}]); remove joinAt`,
      });
    }
  });
  return problems;
}

/** Validates and normalises a scenario object; `file`/`locate` give diagnostics their line:col. */
export function parseScenario(value: unknown, file = '<scenario>', locate?: Locate): Scenario {
  const at = (path: PathSegment[], target: 'key' | 'value' = 'value') => (locate ? locate(path, target) : { line: 1, col: 1 });
  const issues = validateAgainstSchema(getScenarioSchema(), value);
  const diagnostics: Diagnostic[] = issues.map((issue) => ({ file, ...at(issue.at, issue.target), path: formatPath(issue.path), message: issue.message }));
  if (diagnostics.length === 0) {
    for (const p of checkReferences(value as ScenarioInput)) diagnostics.push({ file, ...at(p.path), path: formatPath(p.path), message: p.message });
  }
  if (diagnostics.length > 0) throw new RunbookError(`${file}: invalid scenario`, diagnostics);
  const input = value as ScenarioInput;
  const scenario = normalizeScenario(input);
  // Kept as written: each fleet cluster's scenario is the source with its variation, normalised again.
  if (input.fleet) scenario.fleet = { clusters: input.fleet.clusters, variations: input.fleet.variations ?? [], source: input };
  return scenario;
}

/** Reads a scenario YAML file; errors point at file:line:col. */
export async function loadScenario(path: string): Promise<Scenario> {
  // Unreadable, special (FIFO, device), too large or not UTF-8: a usage error (exit 2), as for a runbook.
  const text = await readUserText(path);
  const parsed = parseYamlWithPositions(text, path);
  if (parsed.diagnostics.length > 0) throw new RunbookError(`${path}: invalid YAML`, parsed.diagnostics);
  return parseScenario(parsed.value, path, parsed.locate);
}
