// The vocabulary of the CSR identity policy: nodes we expect, CSRs as the policy sees them, and verdicts.

import type { ParsedCsr } from '../pki/csr.js';

/** Signers of the two kubelet CSRs (certificates.k8s.io/v1). */
export const CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const SERVING_SIGNER = 'kubernetes.io/kubelet-serving';

export type CsrKind = 'client' | 'server';

/** A machine the operator expects to join; addresses and hostnames are optional extra identity. */
export interface NodeIdentity {
  name: string;
  addresses: string[];
  hostnames: string[];
}

/** Which nodes a step is about: an explicit inventory (safe default) or an explicit regex with a count. */
export type NodeSelector =
  | { mode: 'inventory'; nodes: Map<string, NodeIdentity> }
  | { mode: 'match'; pattern: RegExp; source: string; count: number };

export type CsrState = 'pending' | 'approved' | 'denied' | 'failed';

/** A CertificateSigningRequest reduced to what the policy reads. */
export interface CsrRecord {
  name: string;
  uid: string;
  signerName: string;
  username: string;
  groups: string[];
  usages: string[];
  /** creationTimestamp in ms; undefined when missing or unreadable. */
  createdAt: number | undefined;
  state: CsrState;
  /** Message of the Approved condition (tells whether this run approved it). */
  approvalMessage?: string;
  /** The decoded PKCS#10 request, or why it could not be read. */
  request: ParsedCsr | { error: string };
}

/** Stable ids of the checks, as reported in outputs and tables. */
export type CheckId =
  | 'signer'
  | 'requestor'
  | 'groups'
  | 'pem'
  | 'signature'
  | 'organization'
  | 'common-name'
  | 'inventory'
  | 'sans'
  | 'usages'
  | 'key'
  | 'existing-node'
  | 'max-age'
  | 'dns-identity'
  | 'ip-identity';

export type Verdict =
  | { approve: true }
  | {
      approve: false;
      check: CheckId;
      reason: string;
      /** false when the refusal depends on cluster data that may still arrive (Node/Machine or its addresses not seen yet). */
      final: boolean;
      /** When not final: what the check waits for, e.g. "its Node to register" (reads after "waits for"). */
      waitingFor?: string;
    };

/** Allowed requestor of client CSRs: a username (trailing `*` = prefix) and, optionally, a group it must carry. */
export interface RequestorRule {
  user: string;
  group?: string;
}
