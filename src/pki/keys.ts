// Key pairs for CSRs and certificates: generate, export as PEM, import existing PEM keys (PKCS#1, PKCS#8, SEC1).

import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { x509 } from './x509.js';

export type KeyType = 'ec-p256' | 'ec-p384' | 'ec-p521' | 'rsa-1024' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096';

type CryptoKey = webcrypto.CryptoKey;

export interface KeyPair {
  type: KeyType;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

const EC_CURVES: Record<string, string> = { 'ec-p256': 'P-256', 'ec-p384': 'P-384', 'ec-p521': 'P-521' };
const EC_HASH: Record<string, string> = { 'P-256': 'SHA-256', 'P-384': 'SHA-384', 'P-521': 'SHA-512' };

/** WebCrypto parameters for generating/importing a key of this type. */
function keyAlgorithm(type: KeyType): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  const curve = EC_CURVES[type];
  if (curve) return { name: 'ECDSA', namedCurve: curve };
  const bits = Number(type.slice('rsa-'.length));
  return { name: 'RSASSA-PKCS1-v1_5', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
}

/** The signature algorithm to sign with a key of this type (ECDSA hash follows the curve, as kubeadm/Go do). */
export function signingAlgorithm(type: KeyType): webcrypto.EcdsaParams | webcrypto.Algorithm {
  const curve = EC_CURVES[type];
  if (curve) return { name: 'ECDSA', hash: EC_HASH[curve]! } as webcrypto.EcdsaParams;
  return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as webcrypto.Algorithm;
}

export async function generateKeyPair(type: KeyType = 'ec-p256'): Promise<KeyPair> {
  const pair = (await webcrypto.subtle.generateKey(keyAlgorithm(type), true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  return { type, privateKey: pair.privateKey, publicKey: pair.publicKey };
}

/** PKCS#8 PEM ("PRIVATE KEY"), which openssl, kubeadm and Go all read. */
export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** Import any PEM private key node:crypto understands, keeping its type; the public half is derived. */
export async function importPrivateKeyPem(pem: string): Promise<KeyPair> {
  const keyObject = createPrivateKey(pem);
  const details = keyObject.asymmetricKeyDetails ?? {};
  let type: KeyType;
  if (keyObject.asymmetricKeyType === 'ec') {
    const byCurve: Record<string, KeyType> = { prime256v1: 'ec-p256', secp384r1: 'ec-p384', secp521r1: 'ec-p521' };
    const found = byCurve[String(details.namedCurve)];
    if (!found) throw new Error(`unsupported EC curve ${String(details.namedCurve)}`);
    type = found;
  } else if (keyObject.asymmetricKeyType === 'rsa') {
    type = `rsa-${details.modulusLength ?? 2048}` as KeyType;
  } else {
    throw new Error(`unsupported private key type ${String(keyObject.asymmetricKeyType)}`);
  }
  const algorithm = keyAlgorithm(type);
  const pkcs8 = keyObject.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(keyObject).export({ type: 'spki', format: 'der' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, true, ['sign']);
  const publicKey = await webcrypto.subtle.importKey('spki', spki, algorithm, true, ['verify']);
  return { type, privateKey, publicKey };
}

/** Describe a public key the way approval policies need it. */
export interface KeyInfo {
  algorithm: 'EC' | 'RSA' | 'other';
  /** EC curve, e.g. P-256. */
  curve?: string;
  /** RSA modulus length. */
  bits?: number;
  /** The raw algorithm name, for messages. */
  name: string;
}

export function describePublicKey(algorithm: { name?: string; namedCurve?: string; modulusLength?: number }): KeyInfo {
  const name = String(algorithm.name ?? 'unknown');
  if (name === 'ECDSA' || name === 'ECDH') return { algorithm: 'EC', curve: algorithm.namedCurve, name };
  if (name.startsWith('RSA')) return { algorithm: 'RSA', bits: algorithm.modulusLength, name };
  return { algorithm: 'other', name };
}
