// @peculiar/x509, ready to use: its dependency injection needs the Reflect metadata API loaded first, and it signs through node:crypto's WebCrypto.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
