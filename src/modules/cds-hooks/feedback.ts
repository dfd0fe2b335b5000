import type { Database } from '../../db/database.ts';
import { Conflict, NotFound, ProblemError, type FieldError } from '../../errors.ts';
import { invalidFields } from '../../http/validation.ts';
import { actingHospital, type Actor } from '../auth/index.ts';
import type { DecisionService } from '../recognition/index.ts';
import type { DeclineCode } from '../rules/index.ts';
import { suggestionUuid } from './cards.ts';
import { declineReasonSystem, isDeclineCode } from './definitions.ts';
import { findCards, type StoredCard } from './repository.ts';
import { reasonText, type FeedbackRequest } from './schemas.ts';

type Entry = FeedbackRequest['feedback'][number];
type Recorded = Awaited<ReturnType<DecisionService['decide']>>['decisions'][number];

interface Wanted {
  card: string;
  action: 'recognized' | 'declined';
  reasonCode?: DeclineCode;
  reasonText?: string;
}

/**
 * One feedback entry as the decision it asks for, the field errors that keep it from being one, or
 * null for an override without a reason code (CDS Hooks allows it, with or without a comment): the
 * card was seen and set aside, and no decision is made of it.
 */
function wantedOf(entry: Entry, index: number): Wanted | FieldError[] | null {
  const at = (field: string) => `feedback.${index}.${field}`;
  const card = entry.card.toLowerCase();
  if (entry.outcome === 'accepted') {
    const suggestion = suggestionUuid(card);
    if (!entry.acceptedSuggestions?.some((s) => s.id.toLowerCase() === suggestion)) {
      return [{ field: at('acceptedSuggestions'), message: `must name the card's suggestion, ${suggestion}` }];
    }
    return { card, action: 'recognized' };
  }
  if (entry.overrideReason?.reason === undefined) return null;
  const reason = entry.overrideReason?.reason;
  if (!reason || reason.system !== declineReasonSystem || !isDeclineCode(reason.code)) {
    return [
      {
        field: at('overrideReason.reason'),
        message: `must be one of the card's overrideReasons: a decline code D1–D10 of ${declineReasonSystem}`,
      },
    ];
  }
  // A comment is kept as the decline's text, on one line, as the REST API keeps it.
  const comment = entry.overrideReason?.userComment?.replace(/\s+/g, ' ').trim();
  if (comment) {
    const text = reasonText.safeParse(comment);
    if (!text.success) return [{ field: at('overrideReason.userComment'), message: text.error.issues[0]?.message ?? 'is not valid' }];
    return { card, action: 'declined', reasonCode: reason.code, reasonText: text.data };
  }
  if (reason.code === 'D6_OTHER') return [{ field: at('overrideReason.userComment'), message: 'is required with D6_OTHER' }];
  return { card, action: 'declined', reasonCode: reason.code };
}

const sameDecision = (a: Wanted, b: Wanted) => a.action === b.action && a.reasonCode === b.reasonCode && a.reasonText === b.reasonText;

export interface FeedbackDeps {
  db: Database;
  decisions: DecisionService;
}

/**
 * CDS Hooks feedback as the doctor's decisions: an accepted suggestion recognises the card's prior
 * result, an override with a decline code declines it. Each check's cards are decided together, all or
 * nothing, by the same decision service as the REST API (the recognition judged again, the savings
 * logged, the audit); feedback on a card already decided the same way is a repeat and records nothing.
 * An override without a reason records nothing either. Checks are decided one after another: when one
 * is refused (409), the cards of those before it are recorded, and the refusal names them.
 */
export function createFeedback({ db, decisions }: FeedbackDeps) {
  return async function recordFeedback(actor: Actor, serviceId: string, body: FeedbackRequest) {
    const hospitalId = actingHospital(actor);
    const errors: FieldError[] = [];
    const wanted = new Map<string, Wanted>();
    const setAside = new Set<string>();
    body.feedback.forEach((entry, index) => {
      const decision = wantedOf(entry, index);
      if (decision === null) return void setAside.add(entry.card.toLowerCase());
      if (Array.isArray(decision)) return void errors.push(...decision);
      const earlier = wanted.get(decision.card);
      if (earlier && !sameDecision(earlier, decision)) {
        errors.push({ field: `feedback.${index}`, message: 'contradicts earlier feedback on the same card in this request' });
      }
      wanted.set(decision.card, earlier ?? decision);
    });
    if (errors.length > 0) throw invalidFields(errors);

    const named = [...new Set([...wanted.keys(), ...setAside])];
    const cards = new Map((await findCards(db, serviceId, hospitalId, named)).map((c) => [c.id, c]));
    const unknown = named.filter((id) => !cards.has(id));
    if (unknown.length > 0) throw new NotFound(`No card ${unknown.join(', ')} was answered by ${serviceId} to this hospital`);

    const byCheck = new Map<string, { card: StoredCard; wanted: Wanted }[]>();
    for (const [id, decision] of wanted) {
      const card = cards.get(id)!;
      byCheck.set(card.checkId, [...(byCheck.get(card.checkId) ?? []), { card, wanted: decision }]);
    }
    const outcomes = new Map<string, Recorded & { card: string }>();
    // One decision request per check: the decision service locks the check (a transaction each, one after the other).
    for (const [checkId, list] of byCheck) {
      let answer;
      try {
        answer = await decisions.decide(
          actor,
          checkId,
          list.map(({ card, wanted: w }) => ({
            resultId: card.resultId,
            itemCode: card.itemCode,
            action: w.action,
            ...(w.reasonCode ? { reasonCode: w.reasonCode } : {}),
            ...(w.reasonText ? { reasonText: w.reasonText } : {}),
          })),
        );
      } catch (error) {
        // Name the cards a refusal is about (not-recognizable, no-longer-recognizable, already-recognized, decision-conflict).
        // The checks before this one were decided, and stay so: say which cards that recorded.
        if (error instanceof ProblemError && error.status === 409) {
          throw new Conflict(error.message, error.slug, {
            ...error.extensions,
            cards: list.map(({ card }) => card.id),
            recordedCards: [...outcomes.keys()],
          }).about(error.subject);
        }
        throw error;
      }
      answer.decisions.forEach((decision, i) => outcomes.set(list[i].card.id, { card: list[i].card.id, ...decision }));
    }
    return { feedback: [...wanted.keys()].map((id) => outcomes.get(id)!) };
  };
}
