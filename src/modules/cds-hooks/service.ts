import type { Database } from '../../db/database.ts';
import { NotFound } from '../../errors.ts';
import { invalidFields } from '../../http/validation.ts';
import type { RequestOrigin } from '../audit/index.ts';
import { actingHospital, type Actor, type ClientLookup } from '../auth/index.ts';
import { derivePatientKey } from '../patients/index.ts';
import type { CheckService, DecisionService } from '../recognition/index.ts';
import type { RegistrySnapshots } from '../registry/index.ts';
import type { Locale } from '../rules/index.ts';
import { cardFor, cardUuid } from './cards.ts';
import { createCdsClientAuth } from './client-auth.ts';
import { cdsService, cdsServices } from './definitions.ts';
import { createFeedback } from './feedback.ts';
import { draftOrdersOf, patientOf, practitionerIdOf } from './orders.ts';
import { insertCards } from './repository.ts';
import type { CdsRequest, FeedbackRequest } from './schemas.ts';

export interface CdsHooksDeps {
  db: Database;
  clock: () => Date;
  clients: ClientLookup;
  registry: RegistrySnapshots;
  checks: CheckService;
  decisions: DecisionService;
  /** The service's public URL: CDS clients sign JWTs for `${publicUrl}/cds-services/{id}`. */
  publicUrl: string;
  patientKeySecret: string;
}

/** A check asks about at most this many items (the REST API's limit). */
const maxItems = 50;

/**
 * CDS Hooks 2.0 over the recognition services: each call is a recognition check (stored and audited as
 * any other, purpose treatment) whose recognisable candidates become cards; feedback on a card is the
 * doctor's decision on its candidate.
 */
export function createCdsHooksService(deps: CdsHooksDeps) {
  const auth = createCdsClientAuth(deps);
  const recordFeedback = createFeedback(deps);
  const serviceUrl = (id: string) => `${deps.publicUrl}/cds-services/${id}`;
  const known = (id: string) => {
    const service = cdsService(id);
    if (!service) throw new NotFound('No such CDS Service; GET /cds-services lists them');
    return service;
  };

  return {
    discovery: () => ({
      services: cdsServices.map(({ hook, title, description, id, prefetch, usageRequirements }) => ({
        hook,
        title,
        description,
        id,
        prefetch,
        usageRequirements,
      })),
    }),

    /** The CDS client a call comes from; its JWT's aud is the URL called (feedback: also the service's). */
    authenticate(serviceId: string, endpoint: 'service' | 'feedback', authorization: string | undefined, origin: RequestOrigin) {
      const url = serviceUrl(known(serviceId).id);
      return auth.authenticate(authorization, endpoint === 'feedback' ? [`${url}/feedback`, url] : [url], origin);
    },

    async call(actor: Actor, serviceId: string, request: CdsRequest, locale: Locale) {
      const service = known(serviceId);
      if (request.hook !== service.hook) throw invalidFields([{ field: 'hook', message: `must be ${service.hook} for ${service.id}` }]);
      const hospitalId = actingHospital(actor);
      const practitionerId = practitionerIdOf(request.context.userId);
      const orders = draftOrdersOf(service.hook, request.context, await deps.registry.fresh(), hospitalId);
      if (orders.length === 0) return { cards: [] };
      const { identity, field } = patientOf(request, orders);
      // Validated here too, so a bad identifier is named where the request carried it.
      const key = derivePatientKey(identity, deps.patientKeySecret, deps.clock(), field);
      if (typeof key !== 'string') throw invalidFields([key]);
      const items = [...new Set(orders.map((o) => o.requestedCode))];
      if (items.length > maxItems)
        throw invalidFields([{ field: 'context.draftOrders', message: `names more than ${maxItems} exam items` }]);

      const check = await deps.checks.check(actor, { practitionerId, patient: identity, items, purpose: 'treatment' }, locale);
      // The check has just brought the snapshot held up to the registry it was judged with.
      const registry = await deps.registry.current();
      const shown = check.items.flatMap(({ itemCode, candidates }) => {
        const item = registry.items.get(itemCode) ?? orders.find((o) => o.item.code === itemCode)?.item;
        if (!item) return [];
        const orderIds = [...new Set(orders.flatMap((o) => (o.item.code === itemCode && o.id ? [o.id] : [])))];
        return candidates
          .filter((candidate) => candidate.outcome === 'RECOGNIZABLE')
          .map((candidate) => ({
            stored: {
              id: cardUuid(check.checkId, itemCode, candidate.resultId),
              checkId: check.checkId,
              itemCode,
              resultId: candidate.resultId,
            },
            card: cardFor({
              checkId: check.checkId,
              item,
              candidate,
              issuerName: registry.hospitals.get(candidate.issuingHospitalId)?.name ?? candidate.issuingHospitalId,
              sameHospital: candidate.issuingHospitalId === hospitalId,
              orderIds,
              locale,
              publicUrl: deps.publicUrl,
            }),
          }));
      });
      await insertCards(
        deps.db,
        service.id,
        hospitalId,
        shown.map((s) => s.stored),
      );
      return { cards: shown.map((s) => s.card) };
    },

    feedback: (actor: Actor, serviceId: string, body: FeedbackRequest) => recordFeedback(actor, known(serviceId).id, body),
  };
}

export type CdsHooksService = ReturnType<typeof createCdsHooksService>;
