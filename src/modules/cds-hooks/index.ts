/**
 * CDS Hooks 2.0: the order-select and order-sign services that put recognisable prior results into the
 * EHR's ordering screen as cards, and the feedback that turns the doctor's answer into a decision; over
 * the recognition services, authenticated by the hospital client's own signed JWT. Owns cds_cards.
 */
export { cardUuid, suggestionUuid } from './cards.ts';
export { cdsServices, declineReasonSystem, patientPrefetchKey, type CdsServiceDefinition } from './definitions.ts';
export { cdsHooksRoutes } from './routes.ts';
export { createCdsHooksService, type CdsHooksService } from './service.ts';
