// The host validations the Assisted Installer reports (`validations_info`, a JSON string grouped by category), with
// the scenario deciding which ones fail or stay pending, and until when.

import type { AssistedHostSpec, AssistedValidationStatus } from '../scenario/types.js';

type Group = 'hardware' | 'network';

interface ValidationDef {
  id: string;
  group: Group;
  success: string;
  /** What the service says while the check does not pass. */
  problem: string;
}

/** The validations a day-2 worker goes through; ids as the service names them. */
export const VALIDATIONS: readonly ValidationDef[] = [
  { id: 'connected', group: 'network', success: 'Host is connected', problem: 'Host is disconnected' },
  { id: 'has-inventory', group: 'hardware', success: 'Valid inventory exists for the host', problem: 'Inventory has not been received for the host' },
  { id: 'has-min-cpu-cores', group: 'hardware', success: 'Sufficient CPU cores', problem: 'The host is not eligible to participate in OpenShift Cluster because the minimum required CPU cores for any role is 2, found only 1' },
  { id: 'has-min-memory', group: 'hardware', success: 'Sufficient minimum RAM', problem: 'The host is not eligible to participate in OpenShift Cluster because the minimum required RAM for any role is 8.00 GiB, found only 4.00 GiB' },
  { id: 'has-min-valid-disks', group: 'hardware', success: 'Sufficient disk capacity', problem: 'No eligible disks were found, please check specific disks to see why they are not eligible' },
  { id: 'has-cpu-cores-for-role', group: 'hardware', success: 'Sufficient CPU cores for role worker', problem: 'Require at least 2 CPU cores for worker role, found only 1' },
  { id: 'has-memory-for-role', group: 'hardware', success: 'Sufficient RAM for role worker', problem: 'Require at least 8.00 GiB RAM for role worker, found only 4.00 GiB' },
  { id: 'hostname-unique', group: 'hardware', success: 'Hostname is unique in cluster', problem: 'Hostname is not unique in cluster' },
  { id: 'hostname-valid', group: 'hardware', success: 'Hostname is allowed', problem: 'Hostname localhost is forbidden' },
  { id: 'ntp-synced', group: 'network', success: 'Host NTP is synced', problem: "Host couldn't synchronize with any NTP server" },
  { id: 'api-domain-name-resolved-correctly', group: 'network', success: 'Domain name resolution for the api domain was successful or not required', problem: "Couldn't resolve domain name for the api domain" },
  { id: 'api-int-domain-name-resolved-correctly', group: 'network', success: 'Domain name resolution for the api-int domain was successful or not required', problem: "Couldn't resolve domain name for the api-int domain" },
  { id: 'apps-domain-name-resolved-correctly', group: 'network', success: 'Domain name resolution for the *.apps domain was successful or not required', problem: "Couldn't resolve domain name for the *.apps domain" },
  { id: 'ignition-downloadable', group: 'network', success: 'Ignition is downloadable', problem: 'Ignition is not downloadable from the cluster API' },
  { id: 'dns-wildcard-not-configured', group: 'network', success: 'DNS wildcard check was successful', problem: 'DNS wildcard configuration was detected for the base domain' },
];

export interface ValidationResult {
  id: string;
  status: 'success' | AssistedValidationStatus;
  message: string;
}

/** Each validation's result `sinceRegistered` simulated ms after the host registered. */
export function evaluateValidations(spec: AssistedHostSpec, sinceRegistered: number): ValidationResult[] {
  return VALIDATIONS.map((def) => {
    const override = spec.validations.find((v) => v.id === def.id);
    const failing = override !== undefined && (override.until === undefined || sinceRegistered < override.until);
    if (!failing) return { id: def.id, status: 'success', message: def.success };
    const message = override.status === 'pending' ? `${def.problem} (pending)` : def.problem;
    return { id: def.id, status: override.status, message };
  });
}

/** `validations_info` as the service sends it: a JSON string of results grouped by category. */
export function renderValidationsInfo(results: readonly ValidationResult[]): string {
  const groups: Record<Group, ValidationResult[]> = { hardware: [], network: [] };
  for (const r of results) groups[VALIDATIONS.find((d) => d.id === r.id)!.group].push(r);
  return JSON.stringify(groups);
}

/** Simulated ms after registration when every validation passes; undefined when one never does. */
export function allPassAfter(spec: AssistedHostSpec): number | undefined {
  let latest = 0;
  for (const v of spec.validations) {
    if (v.until === undefined) return undefined;
    latest = Math.max(latest, v.until);
  }
  return latest;
}
