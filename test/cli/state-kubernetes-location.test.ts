// Where runs are kept, as the flags and environment say: --state over $OPSBOOK_STATE over the state directory.

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { resolveStateLocation } from '../../src/cli/state-dir.js';

describe('resolveStateLocation', () => {
  it('takes --state, else $OPSBOOK_STATE, else the state directory', () => {
    expect(resolveStateLocation({ state: 'kubernetes://a' }, { OPSBOOK_STATE: 'kubernetes://b' }, '/w')).toEqual({ kind: 'kubernetes', namespace: 'a' });
    expect(resolveStateLocation({}, { OPSBOOK_STATE: 'kubernetes://b/' }, '/w')).toEqual({ kind: 'kubernetes', namespace: 'b' });
    expect(resolveStateLocation({ stateDir: 's' }, { OPSBOOK_STATE: '' }, '/w')).toEqual({ kind: 'local', stateDir: path.resolve('/w', 's') });
    expect(resolveStateLocation({}, {}, '/w')).toEqual({ kind: 'local', stateDir: path.resolve('/w', '.opsbook') });
  });

  it.each([
    ['kubernetes://', /"" is not a namespace name/],
    ['kubernetes://a/b', /expected kubernetes:\/\/NAMESPACE/],
    ['kubernetes://-a', /"-a" is not a namespace name/],
    [`kubernetes://${'a'.repeat(64)}`, /is not a namespace name/],
    ['/var/lib/opsbook', /expected kubernetes:\/\/NAMESPACE \(for a local directory, use --state-dir\)/],
  ])('refuses --state %s with a usage error', (text, message) => {
    expect(() => resolveStateLocation({ state: text }, {}, '/w')).toThrow(UsageError);
    expect(() => resolveStateLocation({ state: text }, {}, '/w')).toThrow(message);
  });
});
