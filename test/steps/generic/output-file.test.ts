import { describe, expect, it } from 'vitest';
import { parseOutputFile } from '../../../src/steps/generic/output-file.js';

describe('$OPSBOOK_OUTPUT parsing', () => {
  it('reads key=value lines (values may hold =) and heredoc blocks', () => {
    expect(parseOutputFile('a=1\nurl=https://x/?q=2\r\n\nmsg<<EOF\nline 1\nline 2\nEOF\nempty=\n')).toEqual({
      a: '1',
      url: 'https://x/?q=2',
      msg: 'line 1\nline 2',
      empty: '',
    });
  });

  it('reads one JSON object keeping types', () => {
    expect(parseOutputFile('{"nodes": ["w1"], "count": 2}\n')).toEqual({ nodes: ['w1'], count: 2 });
    expect(parseOutputFile('')).toEqual({});
  });

  it('names the bad line', () => {
    expect(() => parseOutputFile('a=1\njust text')).toThrow('$OPSBOOK_OUTPUT line 2: expected key=value, key<<DELIMITER, or one JSON object');
    expect(() => parseOutputFile('x<<END\nnever closed')).toThrow('$OPSBOOK_OUTPUT line 1: x<<END is never closed by a line END');
    expect(() => parseOutputFile('bad key=1')).toThrow(/output name "bad key"/);
    expect(() => parseOutputFile('{"a": ')).toThrow(/not valid JSON/);
    expect(() => parseOutputFile('[1]')).toThrow(/expected key=value/);
  });
});
