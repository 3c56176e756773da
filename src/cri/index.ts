// The cri package's public surface: the client, the handshake, the typed errors and the message types.
export { createCriClient, type CriClient, type CriClientOptions } from './client.js';
export { connectRuntime, conditionProblems, RuntimeConnectError, type RuntimeInfo } from './handshake.js';
export { parseEndpoint, type CriEndpoint } from './endpoint.js';
export * from './errors.js';
export type * from './types.js';
