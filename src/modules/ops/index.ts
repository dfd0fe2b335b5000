/** Liveness, readiness and metrics. */
export { opsRoutes } from './routes.ts';
