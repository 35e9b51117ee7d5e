export { createAlertsRouter, bearerMatches, type AlertsRouterDeps } from './alerts-router.js';
export { normalizeAlertmanager, normalizeCloudWatchAlarm, normalizeDatadog, normalizeGeneric, PayloadError, GenericAlertSchema } from './normalize.js';
export { createSnsVerifier, isSnsHost, snsCanonicalString, SnsEnvelopeSchema, SnsRejected, type SnsEnvelope } from './sns.js';
