// The two primitives the REST layer needs from the HTTP stack; client.ts provides them with @kubernetes/client-node.

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type QueryParams = Record<string, string | number | boolean | undefined>;

export interface HttpRequest {
  method: HttpMethod;
  /** Absolute API path, e.g. `/apis/apps/v1/namespaces/kube-system/daemonsets/etcd-defrag`. */
  path: string;
  query?: QueryParams;
  body?: string;
  contentType?: string;
  /** @default 'application/json' */
  accept?: string;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: string;
}

/** One watch event as sent by the server; `ERROR` carries a metav1.Status (e.g. 410 Expired). */
export interface RawWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Record<string, unknown>;
}

export interface Transport {
  /** API server URL. */
  readonly server: string;
  /** Sends one request; resolves with any HTTP status, rejects only on network failure or abort. */
  send(request: HttpRequest): Promise<HttpResponse>;
  /**
   * Streams a watch until the server ends it (resolves) or it fails (rejects; a non-200 answer
   * rejects with `statusCode`). Aborting `signal` ends the stream and rejects with its reason.
   */
  watch(path: string, query: QueryParams, onEvent: (event: RawWatchEvent) => void, signal: AbortSignal): Promise<void>;
}
