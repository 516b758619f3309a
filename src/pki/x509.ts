// The one module that imports @peculiar/x509; it binds the library to Node's WebCrypto once.

// @peculiar/x509 2.x resolves its services through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type WebCrypto = Parameters<typeof x509.cryptoProvider.set>[0];
x509.cryptoProvider.set(webcrypto as unknown as WebCrypto);

export { x509 };
/** Node's WebCrypto, typed as the library expects it. */
export const crypto = webcrypto;
