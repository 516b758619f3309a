// Subject names and SANs in the library's JSON forms, built and read in one place.

import { x509 } from './x509.js';

export interface SubjectSpec {
  commonName?: string;
  organizations?: string[];
}

export interface SanSpec {
  dnsNames?: string[];
  ipAddresses?: string[];
  emails?: string[];
  uris?: string[];
}

export interface SanSet {
  dnsNames: string[];
  ipAddresses: string[];
  emails: string[];
  uris: string[];
  /** Names of kinds we do not model (directory names, UPNs…). */
  other: string[];
}

/** A JSON name ([{CN:[…]},{O:[…]}]) so values with commas need no escaping. */
export function toJsonName(subject: SubjectSpec): Record<string, string[]>[] {
  const name: Record<string, string[]>[] = [];
  for (const o of subject.organizations ?? []) name.push({ O: [o] });
  if (subject.commonName !== undefined) name.push({ CN: [subject.commonName] });
  return name;
}

export function createSanExtension(sans: SanSpec): x509.SubjectAlternativeNameExtension | undefined {
  const names = [
    ...(sans.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(sans.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(sans.emails ?? []).map((value) => ({ type: 'email' as const, value })),
    ...(sans.uris ?? []).map((value) => ({ type: 'url' as const, value })),
  ];
  return names.length > 0 ? new x509.SubjectAlternativeNameExtension(names) : undefined;
}

export function readSans(extensions: readonly x509.Extension[]): SanSet {
  const set: SanSet = { dnsNames: [], ipAddresses: [], emails: [], uris: [], other: [] };
  for (const ext of extensions) {
    if (!(ext instanceof x509.SubjectAlternativeNameExtension)) continue;
    for (const name of ext.names.items) {
      if (name.type === 'dns') set.dnsNames.push(name.value);
      else if (name.type === 'ip') set.ipAddresses.push(name.value);
      else if (name.type === 'email') set.emails.push(name.value);
      else if (name.type === 'url') set.uris.push(name.value);
      else set.other.push(`${name.type}:${name.value}`);
    }
  }
  return set;
}

export function readSubject(name: x509.Name): { commonNames: string[]; organizations: string[] } {
  return { commonNames: name.getField('CN'), organizations: name.getField('O') };
}
