/** DI tokens for values that have no class of their own (config object, pino logger). */
export const API_CONFIG = Symbol('API_CONFIG');
export const API_LOGGER = Symbol('API_LOGGER');
/** The operators' token (config ADMIN_TOKEN); provided only when the admin API is on. */
export const ADMIN_TOKEN = Symbol('ADMIN_TOKEN');
