// What the benchmark sends: recognition checks for generated patients (half "returning" patients with
// a recent result, half drawn uniformly), batches of new results, decisions on checks it made.
import { defaultCatalogue } from '../../src/modules/registry/index.ts';
import type { Random } from '../../src/demo/random.ts';
import { residentIdOf, itemSlots } from './province.ts';
import type { Request } from './load.ts';

export interface Receiver {
  hospitalId: string;
  authorization: string;
}

export interface Province {
  patients: number;
  /** (patient index, item) of final results from the generated log's last 30 days. */
  recent: { idx: number; itemCode: string }[];
}

const codes = defaultCatalogue.map((i) => i.code);
const popularSlots = itemSlots(codes);

/** `count` item codes, distinct, drawn by ordering popularity. */
function popularItems(random: Random, count: number, first?: string): string[] {
  const items = new Set<string>(first ? [first] : []);
  while (items.size < count) items.add(codes[popularSlots[random.int(0, popularSlots.length - 1)]]);
  return [...items];
}

export function checkRequests(random: Random, province: Province, receivers: Receiver[], count: number, returningShare = 0.5): Request[] {
  return Array.from({ length: count }, () => {
    const receiver = random.pick(receivers);
    const returning = province.recent.length > 0 && random.chance(returningShare);
    const recent = returning ? random.pick(province.recent) : null;
    const idx = recent ? recent.idx : random.int(0, province.patients - 1);
    const body = {
      practitionerId: `DR-${random.int(1, 40)}`,
      patient: { idType: 'resident_id', idNumber: residentIdOf(idx) },
      items: popularItems(random, random.int(1, 5), recent?.itemCode),
      purpose: 'treatment',
    };
    return { method: 'POST', path: '/v1/recognition-checks', headers: jsonHeaders(receiver), body: JSON.stringify(body) };
  });
}

export function jsonHeaders(receiver: Receiver): Record<string, string> {
  return { authorization: receiver.authorization, 'content-type': 'application/json' };
}

/** A batch of `size` new results (fresh accession numbers) for random generated patients. */
export function batchRequest(random: Random, province: Province, receiver: Receiver, size: number, prefix: string, now: Date): Request {
  const results = Array.from({ length: size }, (_, i) => {
    const item = defaultCatalogue[popularSlots[random.int(0, popularSlots.length - 1)]];
    const performedAt = new Date(now.getTime() - random.int(3_600, 20 * 86_400) * 1000);
    const imaging = ['xray', 'ct', 'mri', 'ultrasound', 'nuclear'].includes(item.category);
    return {
      accessionNo: `${prefix}-${i}`,
      patient: { idType: 'resident_id', idNumber: residentIdOf(random.int(0, province.patients - 1)) },
      itemCode: item.code,
      performedAt: performedAt.toISOString(),
      reportedAt: new Date(performedAt.getTime() + 2 * 3_600_000).toISOString(),
      status: 'final',
      ...(imaging
        ? {
            studyUid: `1.2.156.600734.9.${prefix.replace(/\D/g, '')}.${i}`,
            findings: '未见明显异常。',
            ...(item.category === 'ct' ? { equipment: { sliceCount: 64 } } : {}),
          }
        : {}),
      ...(item.analytes?.length
        ? {
            analytes: item.analytes.map((code, k) => ({
              code,
              value: Math.round(random.next() * 1000) / 10 + k,
              unit: 'mmol/L',
              referenceRange: '1-10',
            })),
          }
        : {}),
    };
  });
  return { method: 'POST', path: '/v1/results/batch', headers: jsonHeaders(receiver), body: JSON.stringify({ results }) };
}

export interface CheckAnswer {
  checkId: string;
  items: { itemCode: string; candidates: { resultId: string; outcome: string; advisories: string[] }[] }[];
}

/** One decision per requested item with a recognisable candidate: mostly recognised, some declined. */
export function decisionRequest(random: Random, receiver: Receiver, answer: CheckAnswer): Request | null {
  const decisions = answer.items.flatMap((item) => {
    const candidate = item.candidates.find((c) => c.outcome === 'RECOGNIZABLE');
    if (!candidate) return [];
    return random.chance(0.88)
      ? [{ resultId: candidate.resultId, itemCode: item.itemCode, action: 'recognized' }]
      : [{ resultId: candidate.resultId, itemCode: item.itemCode, action: 'declined', reasonCode: 'D1_CONDITION_CHANGED' }];
  });
  if (decisions.length === 0) return null;
  return {
    method: 'POST',
    path: `/v1/recognition-checks/${answer.checkId}/decisions`,
    headers: jsonHeaders(receiver),
    body: JSON.stringify({ decisions }),
  };
}

/** Checks whose answers are read: the share with recognisable candidates, and decisions to make. */
export async function collectChecks(origin: string, random: Random, province: Province, receivers: Receiver[], count: number) {
  const requests = checkRequests(random, province, receivers, count);
  const share = { checks: 0, checkItems: 0, itemsWithRecognisable: 0 };
  const decisions: { request: Request; count: number }[] = [];
  let i = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (i < requests.length) {
        const request = requests[i++];
        const response = await fetch(`${origin}${request.path}`, { method: 'POST', headers: request.headers, body: request.body });
        if (response.status !== 201) throw new Error(`check refused: ${response.status} ${await response.text()}`);
        const answer = (await response.json()) as CheckAnswer;
        share.checks += 1;
        share.checkItems += answer.items.length;
        share.itemsWithRecognisable += answer.items.filter((item) => item.candidates.some((c) => c.outcome === 'RECOGNIZABLE')).length;
        const receiver = receivers.find((r) => r.authorization === request.headers.authorization)!;
        const decision = decisionRequest(random, receiver, answer);
        if (decision)
          decisions.push({ request: decision, count: (JSON.parse(decision.body!) as { decisions: unknown[] }).decisions.length });
      }
    }),
  );
  return { share, decisions };
}
