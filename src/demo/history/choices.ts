// The judgement calls of the demo's patients and doctors: where a patient goes next, what a doctor
// asks for and why, and how readily each hospital's doctors decline a result they could reuse.
import type { CatalogueEntry } from '../../modules/registry/index.ts';
import type { DeclineCode } from '../../modules/rules/index.ts';
import { allianceMembers, tongluConsortium, type DemoHospital } from '../hospitals.ts';
import type { Random } from '../random.ts';
import { popularity, type Home } from '../results.ts';

/** Context flags a doctor may set on a check (each raises a clinical advisory, D1…D9). */
export interface CheckFlags {
  emergency?: boolean;
  preSurgery?: boolean;
  conditionChanged?: boolean;
  rapidChange?: boolean;
  forensic?: boolean;
  patientRequest?: boolean;
  needsThinSlice?: boolean;
}

/** A decline the doctor gives without any advisory behind it: the service flags it for review. */
export interface UnadvisedDecline {
  code: DeclineCode;
  text?: string;
}

const inAlliance = new Set(allianceMembers);
const consortium = new Set<string>(tongluConsortium);
const countyHospital = 'HZ-012';

/**
 * Hospitals whose doctors decline reusable results more often than their peers: the flagged
 * declines the review queue and the league table are there to find.
 */
const sceptical: Record<string, number> = { 'NB-002': 0.16, 'WZ-003': 0.14, 'SX-004': 0.12, 'HZ-006': 0.1 };
const usualDeclineRate = 0.03;

/** Doctors per hospital, by tier: every check names one. */
const doctors = { tertiary: 8, secondary: 5, primary: 3 } as const;

export function createChoices(random: Random, hospitals: readonly DemoHospital[]) {
  const byId = new Map(hospitals.map((h) => [h.id, h]));
  const zhejiang = hospitals.filter((h) => h.province === 'Zhejiang');
  const outsideZhejiang = hospitals.filter((h) => h.province !== 'Zhejiang');
  const tierWeight: Record<DemoHospital['tier'], number> = { tertiary: 3, secondary: 1.5, primary: 0.6 };
  const weightedPick = (list: readonly DemoHospital[], tiers = tierWeight) => random.weighted(list.map((h) => [h, tiers[h.tier]] as const));
  const hangzhouTertiary = zhejiang.filter((h) => h.city === 'Hangzhou' && h.tier === 'tertiary');

  /**
   * Where a patient seen at `issuer` goes next: mostly up the tiers in their own city, a fifth to
   * another city (the provincial capital above all), some across the Yangtze River Delta alliance,
   * now and then back to the same hospital (a duplicate order the exchange catches).
   */
  function receiverFor(issuer: DemoHospital, home: Home): DemoHospital {
    const draw = random.next();
    if (draw < 0.04) return issuer;
    if (consortium.has(issuer.id)) {
      // Township health centres refer to their county hospital; the county hospital to Hangzhou.
      if (issuer.id !== countyHospital && draw < 0.7) return byId.get(countyHospital)!;
      return random.pick(hangzhouTertiary);
    }
    if (issuer.province !== 'Zhejiang') {
      // A patient from Shanghai or Jiangsu, referred on within the alliance.
      return random.pick(hospitals.filter((h) => inAlliance.has(h.id) && h.id !== issuer.id));
    }
    const sameCity = zhejiang.filter((h) => h.city === issuer.city && h.id !== issuer.id && !consortium.has(h.id));
    if (draw < 0.5) return weightedPick(sameCity.filter((h) => h.tier !== 'primary' || issuer.tier === 'primary'));
    if (draw < 0.7) return weightedPick(sameCity, { tertiary: 1, secondary: 1, primary: 1 });
    if (draw < 0.9) {
      const elsewhere = zhejiang.filter((h) => h.city !== issuer.city && h.tier !== 'primary' && !consortium.has(h.id));
      return issuer.city !== 'Hangzhou' && random.chance(0.5) ? random.pick(hangzhouTertiary) : weightedPick(elsewhere);
    }
    // Across the provincial border: alliance members recognise each other's results; for any other
    // hospital nothing is certified for the pair, and the check says so (NR_SCOPE_MISMATCH).
    if (inAlliance.has(issuer.id) || home === 'Shanghai' || random.chance(0.3)) return random.pick(outsideZhejiang);
    return weightedPick(sameCity);
  }

  function practitionerAt(receiver: DemoHospital): string {
    return `${receiver.id}-DR${String(random.int(1, doctors[receiver.tier])).padStart(2, '0')}`;
  }

  /** How often this doctor declines a result that could be reused, with no advisory behind it. */
  function declineRate(receiver: DemoHospital, practitionerId: string): number {
    const rate = sceptical[receiver.id] ?? usualDeclineRate;
    // One doctor in each sceptical hospital declines far more than the rest.
    return practitionerId.endsWith('-DR01') ? Math.min(0.6, rate * 2.5) : rate;
  }

  /** The advisories a doctor raises on a check, now and then. */
  function flagsFor(requested: readonly CatalogueEntry[]): CheckFlags | null {
    const flags: CheckFlags = {};
    if (random.chance(0.025)) flags.emergency = true;
    if (random.chance(0.025)) flags.preSurgery = true;
    if (random.chance(0.03)) flags.conditionChanged = true;
    if (random.chance(0.012)) flags.rapidChange = true;
    if (random.chance(0.02)) flags.patientRequest = true;
    if (random.chance(0.004)) flags.forensic = true;
    if (requested.some((e) => e.category === 'ct') && random.chance(0.08)) flags.needsThinSlice = true;
    return Object.keys(flags).length > 0 ? flags : null;
  }

  function unadvisedDecline(): UnadvisedDecline {
    return random.weighted<UnadvisedDecline>([
      [{ code: 'D1_CONDITION_CHANGED' }, 30],
      [{ code: 'D7_PATIENT_REQUEST' }, 22],
      [{ code: 'D8_NO_REFERENCE_VALUE' }, 18],
      [{ code: 'D6_OTHER', text: '外院报告缺少本次诊疗所需的关键指标' }, 8],
      [{ code: 'D6_OTHER', text: '影像资料调阅不清晰，需重新检查' }, 7],
      [{ code: 'D2_RAPID_CHANGE' }, 8],
      [{ code: 'D3_MAJOR_INTERVENTION' }, 7],
    ]);
  }

  return { receiverFor, practitionerAt, declineRate, flagsFor, unadvisedDecline };
}

/** Chest imaging, blood counts and inflammation markers in the respiratory season; else the usual mix. */
const respiratoryItems: Record<string, number> = { 'XR-CHEST': 2.2, 'CT-CHEST': 1.8, 'LAB-CBC': 1.5, 'LAB-CRP': 3, 'CT-LDCT': 0.5 };

/** How often an item is asked for on a journey: the popular items only (no pathology, no rarities). */
export function itemWeight(entry: CatalogueEntry, winter: boolean): number {
  const base = popularity[entry.code] ?? 0;
  return winter ? base * (respiratoryItems[entry.code] ?? 1) : base;
}
