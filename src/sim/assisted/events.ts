// The Assisted Installer's event log (`GET /v2/events`): what happened to a cluster, an infra-env and its hosts.

export interface AssistedEvent {
  name: string;
  cluster_id?: string;
  infra_env_id?: string;
  host_id?: string;
  severity: 'info' | 'warning' | 'error';
  category: 'user';
  /** RFC 3339, simulated time. */
  event_time: string;
  message: string;
}

export class EventLog {
  private readonly events: Array<AssistedEvent & { at: number }> = [];

  add(at: number, event: Omit<AssistedEvent, 'event_time' | 'category' | 'severity'> & { severity?: AssistedEvent['severity'] }): void {
    this.events.push({ severity: 'info', ...event, category: 'user', at, event_time: new Date(at).toISOString() });
  }

  /** Events matching every given filter, oldest first. */
  list(filter: { cluster_id?: string; infra_env_id?: string; host_id?: string }): AssistedEvent[] {
    return this.events
      .filter((e) => (Object.keys(filter) as Array<keyof typeof filter>).every((k) => filter[k] === undefined || e[k] === filter[k]))
      .sort((a, b) => a.at - b.at)
      .map(({ at: _at, ...event }) => event);
  }
}
