import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveColor, resolveOutputMode, resolveStateDir } from '../../src/cli/options.js';
import { createChildEnv } from '../../src/cli/kube.js';

describe('common flag resolution', () => {
  it('state dir: flag, then $OPSBOOK_STATE_DIR, then .opsbook/ in cwd', () => {
    expect(resolveStateDir('s', { OPSBOOK_STATE_DIR: '/env' }, '/w')).toBe(path.resolve('/w/s'));
    expect(resolveStateDir(undefined, { OPSBOOK_STATE_DIR: '/env' }, '/w')).toBe('/env');
    expect(resolveStateDir(undefined, {}, '/w')).toBe('/w/.opsbook');
  });

  it('output: the flag, else tty on a terminal and plain elsewhere', () => {
    expect(resolveOutputMode('json', true)).toBe('json');
    expect(resolveOutputMode(undefined, true)).toBe('tty');
    expect(resolveOutputMode(undefined, false)).toBe('plain');
    expect(resolveOutputMode(undefined, undefined)).toBe('plain');
  });

  it('colour: off with --no-color or NO_COLOR, forced by FORCE_COLOR, else only on a terminal', () => {
    expect(resolveColor(false, {}, true)).toBe(false);
    expect(resolveColor(true, { NO_COLOR: '1' }, true)).toBe(false);
    expect(resolveColor(true, { FORCE_COLOR: '1' }, false)).toBe(true);
    expect(resolveColor(true, {}, true)).toBe(true);
    expect(resolveColor(true, {}, false)).toBe(false);
  });

  it('child processes get KUBECONFIG from --kubeconfig, else inherit it', () => {
    expect(createChildEnv({ KUBECONFIG: '/a', PATH: '/bin' }, '/b')).toEqual({ KUBECONFIG: '/b', PATH: '/bin' });
    expect(createChildEnv({ KUBECONFIG: '/a' })).toEqual({ KUBECONFIG: '/a' });
  });
});
