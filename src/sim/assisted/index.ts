// The Assisted Installer and SSO the simulation serves for the hosts a scenario impersonates.

export { startAssistedService, type AssistedRequest, type AssistedService, type AssistedServiceOptions, type AssistedSummary } from './server.js';
export { API_PREFIX } from './render.js';
export { TOKEN_PATH } from './sso.js';
export { VALIDATIONS } from './validations.js';
