// The simulation's protobuf Job decoding, on hand-encoded bodies: pointer fields keep their zero (backoffLimit: 0), unset
// non-pointer fields are left out as JSON leaves them out, packed and unpacked repeated ints both read, and a field the
// table lacks is refused by its number rather than silently dropped.

import { describe, expect, it } from 'vitest';
import { decodeProtobufObject } from '../../src/sim/api/protobuf.js';

const varint = (n: number): Buffer => {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
};
const num = (field: number, value: number) => Buffer.concat([varint(field * 8), varint(value)]);
const bytes = (field: number, value: Buffer | string) => {
  const body = Buffer.isBuffer(value) ? value : Buffer.from(value);
  return Buffer.concat([varint(field * 8 + 2), varint(body.length), body]);
};
const msg = (field: number, ...parts: Buffer[]) => bytes(field, Buffer.concat(parts));

/** The k8s envelope: magic, runtime.Unknown { typeMeta 1 { apiVersion 1, kind 2 }, raw 2 }. */
const envelope = (raw: Buffer) => Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), msg(1, bytes(1, 'batch/v1'), bytes(2, 'Job')), bytes(2, raw)]);

describe('protobuf Job bodies', () => {
  it('decodes metadata, pointer zeros, empty non-pointer fields and repeated ints as the API JSON has them', () => {
    const job = Buffer.concat([
      msg(1, bytes(1, 'by-hand'), bytes(3, 'ops'), bytes(4, ''), msg(12, bytes(1, 'cronjob.kubernetes.io/instantiate'), bytes(2, 'manual'))),
      msg(2,
        num(7, 0), // backoffLimit: 0 (a pointer: kept)
        // One rule's exit codes unpacked (proto2, as gogo writes them), the other's packed.
        msg(11, msg(1, bytes(1, 'FailJob'), msg(2, bytes(2, 'In'), num(3, 1), num(3, 2))), msg(1, bytes(1, 'Ignore'), msg(2, bytes(2, 'NotIn'), bytes(3, Buffer.from([3, 4]))))),
        msg(6, msg(2, bytes(3, 'Never'), msg(2, bytes(1, 'main'), bytes(2, 'img'), num(16, 0), bytes(5, ''), msg(8)))),
      ),
      msg(3), // status: ignored
    ]);
    expect(decodeProtobufObject(envelope(job))).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'by-hand', namespace: 'ops', annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' } },
      spec: {
        backoffLimit: 0,
        podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [1, 2] } }, { action: 'Ignore', onExitCodes: { operator: 'NotIn', values: [3, 4] } }] },
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'img' }] } },
      },
    });
  });

  it('refuses a field it does not know, naming the message and number', () => {
    const job = Buffer.concat([msg(2, msg(6, msg(2, msg(2, bytes(1, 'main'), msg(10, bytes(1, 'probe'))))))]);
    expect(() => decodeProtobufObject(envelope(job))).toThrow('protobuf field 10 of Container is not simulated (a Job with it cannot be created here)');
  });
});
