import type { z } from 'zod';
import { DAY_MS } from '../../calendar.ts';
import type { Database } from '../../db/database.ts';
import { BadRequest, type FieldError } from '../../errors.ts';
import { storedChecksOfPeriod } from '../recognition/index.ts';
import type { RegistrySnapshots } from '../registry/index.ts';
import { resultFactsOf } from '../results/index.ts';
import { decide, type CatalogueItem, type RuleSet } from '../rules/index.ts';
import type { whatIfRequest } from './what-if-schemas.ts';

const batchSize = 500;
const maxDays = 366;

interface Tally {
  itemCode: string;
  name: string;
  current: number;
  draft: number;
  currentItems: number;
  draftItems: number;
  yuan: number;
  minutes: number;
  radiationMsv: number;
}

/**
 * Policy what-if: the stored checks of a period, re-judged by the same pure engine under the
 * current settings and under a draft. Reads only; the answer is the difference.
 */
export function createWhatIfService({ db, registry }: { db: Database; registry: RegistrySnapshots }) {
  return {
    async run(request: z.infer<typeof whatIfRequest>) {
      const days = (Date.parse(request.to) - Date.parse(request.from)) / DAY_MS;
      if (days < 0 || days > maxDays)
        throw new BadRequest('The period must run forwards and span at most 366 days', [
          { field: 'to', message: 'must be 0-366 days after from' },
        ]);
      // The engine's facts come from the one loader the checks use: the registry snapshot.
      const facts = await registry.fresh();
      const current = facts.ruleSet;
      const draftRules: RuleSet = { ...current, tierDirection: request.draft.tierDirection ?? current.tierDirection };
      const catalogue = facts.items;
      const unknown: FieldError[] = Object.keys(request.draft.items ?? {})
        .filter((code) => !catalogue.has(code))
        .map((code) => ({ field: `draft.items.${code}`, message: 'is not a catalogue item' }));
      if (unknown.length > 0) throw new BadRequest('The draft names items that are not in the catalogue', unknown);
      const drafted = (item: CatalogueItem): CatalogueItem => ({ ...item, ...request.draft.items?.[item.code] });

      const tallies = new Map<string, Tally>();
      const totals = { checks: 0, checkItems: 0, candidates: 0 };
      let after: { createdAt: Date; id: string } | null = null;
      for (;;) {
        const batch = await storedChecksOfPeriod(db, request.from, request.to, after, batchSize);
        if (batch.checks.length === 0) break;
        after = batch.checks[batch.checks.length - 1];
        totals.checks += batch.checks.length;
        const results = await resultFactsOf(db, [...new Set(batch.candidates.map((c) => c.resultId))]);
        const byResult = new Map(results.map((result) => [result.id, result]));
        for (const checkItem of batch.items) {
          const check = batch.byId.get(checkItem.checkId)!;
          const item = catalogue.get(checkItem.itemCode);
          const receiver = facts.hospitals.get(check.receiverId);
          if (!item || !receiver) continue;
          totals.checkItems += 1;
          const tally = tallies.get(item.code) ?? {
            itemCode: item.code,
            name: item.name,
            current: 0,
            draft: 0,
            currentItems: 0,
            draftItems: 0,
            yuan: 0,
            minutes: 0,
            radiationMsv: 0,
          };
          tallies.set(item.code, tally);
          let before = false;
          let afterDraft = false;
          let savings = { yuan: 0, minutes: 0, radiationMsv: 0 };
          for (const candidate of batch.candidatesOf.get(`${checkItem.checkId}/${checkItem.itemCode}`) ?? []) {
            const result = byResult.get(candidate.resultId);
            const issuer = result && facts.hospitals.get(result.issuingHospitalId);
            const resultItem = result && catalogue.get(result.itemCode);
            if (!result || !issuer || !resultItem) continue; // a result no longer in the index
            totals.candidates += 1;
            const base = {
              result,
              issuer,
              resultItem,
              receiver,
              scopes: facts.scopes,
              certifications: facts.certifications.get(issuer.id) ?? [],
              context: check.context,
            };
            const now = check.createdAt;
            const was = decide(current, { ...base, requestedItem: item }, now);
            const would = decide(draftRules, { ...base, requestedItem: drafted(item) }, now);
            savings = was.savings;
            if (was.outcome === 'RECOGNIZABLE') {
              tally.current += 1;
              before = true;
            }
            if (would.outcome === 'RECOGNIZABLE') {
              tally.draft += 1;
              afterDraft = true;
            }
          }
          tally.currentItems += Number(before);
          tally.draftItems += Number(afterDraft);
          const sign = Number(afterDraft) - Number(before);
          tally.yuan += sign * savings.yuan;
          tally.minutes += sign * savings.minutes;
          tally.radiationMsv += sign * savings.radiationMsv;
        }
      }
      const byItem = [...tallies.values()]
        .map((t) => ({
          itemCode: t.itemCode,
          name: t.name,
          recognizableCandidates: t.draft - t.current,
          checkItemsWithRecognizable: t.draftItems - t.currentItems,
          yuan: Math.round(t.yuan * 100) / 100,
          minutes: t.minutes,
          radiationMsv: Math.round(t.radiationMsv * 1000) / 1000,
        }))
        .sort((a, b) => Math.abs(b.yuan) - Math.abs(a.yuan) || a.itemCode.localeCompare(b.itemCode));
      const sum = (pick: (t: Tally) => number) => [...tallies.values()].reduce((s, t) => s + pick(t), 0);
      return {
        from: request.from,
        to: request.to,
        ruleSetVersion: current.version,
        ...totals,
        current: { recognizableCandidates: sum((t) => t.current), checkItemsWithRecognizable: sum((t) => t.currentItems) },
        draft: { recognizableCandidates: sum((t) => t.draft), checkItemsWithRecognizable: sum((t) => t.draftItems) },
        delta: {
          recognizableCandidates: sum((t) => t.draft - t.current),
          checkItemsWithRecognizable: sum((t) => t.draftItems - t.currentItems),
          yuan: Math.round(sum((t) => t.yuan) * 100) / 100,
          minutes: sum((t) => t.minutes),
          radiationMsv: Math.round(sum((t) => t.radiationMsv) * 1000) / 1000,
        },
        byItem,
      };
    },
  };
}

export type WhatIfService = ReturnType<typeof createWhatIfService>;
