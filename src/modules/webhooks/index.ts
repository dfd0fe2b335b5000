/**
 * Outbound webhooks (Standard Webhooks): hospitals' endpoints, and an outbox of deliveries that
 * other modules fill in their own transactions (`enqueueWebhookEvent`) and a worker sends at least
 * once. Owns webhook_endpoints and webhook_deliveries.
 */
export { deliveryBacklog } from './deliveries-repository.ts';
export { enqueueWebhookEvent, type WebhookEvent } from './outbox.ts';
export { webhookRoutes } from './routes.ts';
export { createWebhookService, type WebhookService } from './service.ts';
export { targetPolicy } from './targets.ts';
export { startWebhookDelivery, type WebhookDelivery, type WebhookDeliveryDeps } from './worker.ts';
