// Input declarations: defaults must match their type; `items` only makes sense for lists.

import { coerceInputValue } from '../input-values.js';
import type { InputType } from '../types.js';
import { isRecord, type CheckContext } from './context.js';

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'duration', 'secret']);

export function checkInputs(ctx: CheckContext): void {
  for (const [name, spec] of ctx.inputs) {
    const type = spec.type;
    if (typeof type !== 'string' || !TYPES.has(type)) continue; // the schema reports it
    const path = ['spec', 'inputs', name];
    if (spec.items !== undefined && type !== 'array') ctx.report([...path, 'items'], `only inputs of type array have items (this one is ${type})`, { target: 'key' });
    if ('default' in spec) {
      const items = isRecord(spec.items) ? spec.items : undefined;
      const typed = coerceInputValue({ type: type as InputType, items, enum: Array.isArray(spec.enum) ? spec.enum : undefined }, spec.default);
      if (!typed.ok) ctx.report([...path, 'default'], typed.message);
      if (type === 'secret') ctx.report([...path, 'default'], 'a secret cannot have a default (it would be stored in the runbook); use fromEnv or fromFile');
    }
  }
}
