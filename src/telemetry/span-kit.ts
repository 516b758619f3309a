// What the run and the fleet span builders share: masked attributes, masked span starts, a span's end with its outcome, and event dispatch by type.

import type { Masker } from '../secrets/index.js';
import type { Attributes, SpanFactory, TraceSpan } from './types.js';

export interface SpanKit {
  /** Every string attribute through the masker. */
  mask(attributes: Attributes): Attributes;
  /** A span whose name and attributes (the builder's common ones first) are masked. */
  start(name: string, startMs: number, attributes: Attributes, parent?: TraceSpan): TraceSpan;
  /** Sets the span's closing attributes, marks it failed with `failure` when there is one, and ends it at `timeMs`. */
  end(span: TraceSpan, timeMs: number, attributes: Attributes, failure?: string): void;
}

/** `common` is read at each start: a fleet's id is only known once its fleet-start came. */
export function createSpanKit(factory: SpanFactory, masker: Masker, common: () => Attributes): SpanKit {
  const mask = (attributes: Attributes): Attributes => {
    const out: Attributes = {};
    for (const [key, value] of Object.entries(attributes)) out[key] = typeof value === 'string' ? masker.text(value) : value;
    return out;
  };
  return {
    mask,
    start: (name, startMs, attributes, parent) =>
      factory.startSpan(masker.text(name), { startMs, attributes: mask({ ...common(), ...attributes }), ...(parent ? { parent } : {}) }),
    end(span, timeMs, attributes, failure) {
      span.setAttributes(mask(attributes));
      if (failure !== undefined) span.fail(masker.text(failure));
      span.end(timeMs);
    },
  };
}

export type EventHandlers<E extends { type: string }> = { [K in E['type']]?: (event: Extract<E, { type: K }>, timeMs: number) => void };

/** One function that hands each event to the handler of its type, with the event's own time (the run's clock). */
export function dispatchByType<E extends { type: string; time: string }>(handlers: EventHandlers<E>): (event: E) => void {
  return (event) => {
    const handler = handlers[event.type as E['type']] as ((e: E, timeMs: number) => void) | undefined;
    handler?.(event, Date.parse(event.time));
  };
}
