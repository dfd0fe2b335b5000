import type { Database } from '../../db/database.ts';
import type { Actor } from '../auth/index.ts';
import { appendRuleSet, currentRuleSet, type StoredRuleSet } from './repository.ts';
import type { RuleSettingsChange } from './schemas.ts';

const view = (rules: StoredRuleSet) => ({ ...rules, createdAt: rules.createdAt.toISOString() });

/** The regional rule settings: read by anyone, changed by administrators, every change a new version. */
export function createSettingsService({ db, clock }: { db: Database; clock: () => Date }) {
  return {
    async current() {
      return view(await currentRuleSet(db));
    },
    async change(actor: Actor, change: RuleSettingsChange) {
      return view(await db.transaction().execute((trx) => appendRuleSet(trx, change, actor.clientId, clock())));
    },
  };
}

export type SettingsService = ReturnType<typeof createSettingsService>;
