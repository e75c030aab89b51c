/** DI tokens for values that have no class of their own (config object, pino logger). */
export const API_CONFIG = Symbol('API_CONFIG');
export const API_LOGGER = Symbol('API_LOGGER');
