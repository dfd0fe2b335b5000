// The demo's year, planned before any of it is played: day by day, the results hospitals submit,
// the corrections they make later, the certification events the health commission records, and the
// recognition checks doctors run, each with what the doctor will decide. The plan is a pure function
// of `now`; history/play.ts turns it into calls to the services.
import type { CatalogueEntry } from '../../modules/registry/index.ts';
import type { ReportStatus } from '../../modules/rules/index.ts';
import { revokedHospital, type DemoCertification } from '../certifications.ts';
import type { DemoHospital } from '../hospitals.ts';
import { seededRandom } from '../random.ts';
import { createResultGenerator, performs, type DemoResult, type Home } from '../results.ts';
import { chinaDate, chinaMidnight, expectedJourneys, respiratorySeason } from './calendar.ts';
import { createChoices, itemWeight, type CheckFlags, type UnadvisedDecline } from './choices.ts';

const SEED = 20_230_101; // a seed of its own: the province's results stay as they were
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Patient journeys on an ordinary weekday early in the year (about 2,100 checks over the year). */
const JOURNEYS_PER_WEEKDAY = 6.5;
/** Days between the first hospital's exams and the next hospital's check: mostly within a week, some past every window. */
const gaps: [[number, number], number][] = [
  [[0, 0], 18],
  [[1, 1], 22],
  [[2, 2], 16],
  [[3, 3], 12],
  [[4, 6], 17],
  [[7, 14], 8],
  [[15, 29], 5],
  [[30, 60], 2],
];

/** What a doctor adds to the items already done elsewhere (a check may ask for what nobody has done). */
const extraItems: Record<'winter' | 'otherwise', [string, number][]> = {
  winter: [
    ['LAB-CBC', 3],
    ['LAB-COAG', 2],
    ['XR-CHEST', 2],
    ['LAB-CRP', 2],
  ],
  otherwise: [
    ['LAB-COAG', 3],
    ['LAB-CBC', 2],
    ['ECG-REST', 2],
    ['LAB-GLU', 1],
  ],
};

/** When things happen on a history day, in hours after midnight China time. */
export const schedule = { certifications: 8.5, corrections: 9, batches: 13, checks: 13.5, decisions: 17 } as const;

export interface PatientRef {
  idType: 'resident_id';
  idNumber: string;
}

/** A result as the issuing hospital's HIS sends it in a batch (POST /v1/results/batch). */
export interface Submission {
  accessionNo: string;
  patient: PatientRef;
  itemCode: string;
  performedAt: string;
  reportedAt?: string;
  status: ReportStatus;
  kind: DemoResult['kind'];
  imagesAvailable?: boolean;
  studyUid?: string;
  criticalOpen: boolean;
  equipment?: Record<string, unknown>;
  analytes?: NonNullable<DemoResult['analytes']>;
  findings?: string;
}

/** A later submission of the same accession number: an amended or corrected report, a withdrawal, a final report. */
export interface Correction {
  issuerId: string;
  kind: 'amended' | 'corrected' | 'withdrawn' | 'finalised';
  submission: Submission;
}

export interface PlannedItem {
  itemCode: string;
  /** Uniform in [0, 1): compared with the doctor's decline rate when the result is reusable. */
  draw: number;
  /** Whether the receiver performs the exam itself when it does not reuse a result (not every patient stays for it). */
  retest: boolean;
  /** The reason the doctor gives should they decline a reusable result with no advisory behind it. */
  unadvised: UnadvisedDecline;
}

export interface PlannedCheck {
  receiverId: string;
  practitionerId: string;
  patient: PatientRef;
  items: PlannedItem[];
  flags: CheckFlags | null;
  declineRate: number;
}

export interface PlannedDay {
  /** China calendar date, YYYY-MM-DD. */
  date: string;
  certifications: DemoCertification[];
  corrections: Correction[];
  /** Submitted in one batch per issuing hospital. */
  submissions: { issuerId: string; submission: Submission }[];
  checks: PlannedCheck[];
}

export interface HistoryPlan {
  days: PlannedDay[];
  /** Certification events recorded before the history's first day (or today): the province starts with them. */
  earlierCertifications: DemoCertification[];
  /** The history's own patients (normalised resident ID numbers). */
  patients: string[];
  /** A new result at the receiver after a declined or unusable prior result (history/play.ts asks as it goes). */
  retest(receiverId: string, itemCode: string, patient: PatientRef, performedAt: Date): Submission | null;
}

export interface PlanInput {
  now: Date;
  /** Full calendar months before the current one that the history covers, with the current one up to yesterday. */
  months: number;
  hospitals: readonly DemoHospital[];
  catalogue: readonly CatalogueEntry[];
  /** Resident ID numbers already taken (the province's patients). */
  seen: Set<string>;
  /** The province's certification events: those recorded during the history are recorded on their day, through the registry. */
  certifications: readonly DemoCertification[];
}

export function planHistory({ now, months, hospitals, catalogue, seen, certifications }: PlanInput): HistoryPlan {
  const random = seededRandom(SEED);
  const generator = createResultGenerator({ random, now, hospitals, catalogue, series: 'H' });
  const choices = createChoices(random, hospitals);
  const byId = new Map(hospitals.map((h) => [h.id, h]));
  const entries = new Map(catalogue.map((e) => [e.code, e]));
  // From the first of the month `months` months ago (so a report of the last twelve full months has
  // every day) to yesterday: today is left for the person trying the demo.
  const today = chinaDate(now.getTime());
  const first = new Date(Date.UTC(Number(today.slice(0, 4)), Number(today.slice(5, 7)) - 1 - months, 1)).toISOString().slice(0, 10);
  const length = Math.round((chinaMidnight(today) - chinaMidnight(first)) / DAY_MS);
  const days: PlannedDay[] = Array.from({ length }, (_, i) => ({
    date: chinaDate(chinaMidnight(first) + i * DAY_MS),
    certifications: [],
    corrections: [],
    submissions: [],
    checks: [],
  }));
  const dayOf = new Map(days.map((d, i) => [d.date, i]));
  const earlierCertifications: DemoCertification[] = [];
  for (const event of certifications) {
    const day = dayOf.get(chinaDate(event.recordedAt.getTime()));
    if (day === undefined) earlierCertifications.push(event);
    else days[day].certifications.push(event);
  }

  const patients: { idNumber: string; home: Home }[] = [];
  const at = (day: number, hours: number) => chinaMidnight(days[day].date) + hours * HOUR_MS;

  function submit(day: number, issuer: DemoHospital, result: DemoResult): Submission {
    const submission = toSubmission(result, at(day, schedule.batches) - 60_000);
    days[day].submissions.push({ issuerId: issuer.id, submission });
    // Now and then a report is revised or withdrawn after it was sent; a preliminary one is finalised.
    const later = day + random.int(1, 3);
    const kind =
      result.status === 'preliminary'
        ? 'finalised'
        : random.weighted([
            [null, 94],
            ['amended', 3.5],
            ['corrected', 0.8],
            ['withdrawn', 1.7],
          ] as const);
    if (kind && later < length)
      days[later].corrections.push({ issuerId: issuer.id, kind, submission: corrected(submission, kind, at(later, schedule.corrections)) });
    return submission;
  }

  function journey(day: number): void {
    const [shortest, longest] = random.weighted(gaps);
    const gap = random.int(shortest, longest);
    const resultDay = Math.max(0, day - gap);
    const returning = patients.length > 50 && random.chance(0.15);
    const patient = returning ? random.pick(patients) : generator.identity(seen);
    if (!returning) patients.push(patient);
    // WZ-008, a private hospital with cheap check-ups, draws Wenzhou patients in numbers: until its
    // falsified quality data is found out, and its results since revoked.
    const issuer = patient.home === 'Wenzhou' && random.chance(0.12) ? byId.get(revokedHospital)! : generator.hospitalFor(patient.home);
    const receiver = choices.receiverFor(issuer, patient.home);
    const winter = respiratorySeason(days[resultDay].date);
    const count = random.weighted([
      [1, 45],
      [2, 35],
      [3, 20],
    ] as const);
    const performed = generator.itemsAt(issuer, count, (e) => itemWeight(e, winter));
    if (performed.length === 0) return;
    const performedAt = new Date(at(resultDay, 8) + random.int(0, 210) * 60_000);
    for (const entry of performed) {
      const status: ReportStatus = random.chance(0.025) ? 'preliminary' : 'final';
      submit(resultDay, issuer, generator.result(issuer, entry, patient.idNumber, performedAt, 0, status));
    }
    // The next doctor asks for what was done, sometimes a little less, sometimes one thing more.
    let requested = performed.length > 1 && random.chance(0.1) ? performed.slice(1) : performed;
    if (random.chance(0.15)) {
      const extra = entries.get(random.weighted(winter ? extraItems.winter : extraItems.otherwise));
      if (extra && !requested.includes(extra)) requested = [...requested, extra];
    }
    const practitionerId = choices.practitionerAt(receiver);
    days[day].checks.push({
      receiverId: receiver.id,
      practitionerId,
      patient: { idType: 'resident_id', idNumber: patient.idNumber },
      items: requested.map((e) => ({
        itemCode: e.code,
        draw: random.next(),
        retest: random.chance(0.5),
        unadvised: choices.unadvisedDecline(),
      })),
      flags: choices.flagsFor(requested),
      declineRate: choices.declineRate(receiver, practitionerId),
    });
  }

  for (let day = 0; day < length; day += 1) {
    // Between 365 and 396 days, by the date: the same year's volume spread over them, so the load
    // takes as long on the 30th of a month as on the 1st.
    const expected = expectedJourneys(days[day].date, day / Math.max(1, length - 1), (JOURNEYS_PER_WEEKDAY * 365) / length);
    const count = Math.round(expected * (0.8 + 0.4 * random.next()));
    for (let j = 0; j < count; j += 1) journey(day);
  }

  return {
    days,
    earlierCertifications,
    patients: patients.map((p) => p.idNumber),
    retest(receiverId, itemCode, patient, performedAt) {
      const receiver = byId.get(receiverId);
      const entry = entries.get(itemCode);
      if (!receiver || !entry || !performs(receiver, entry.category)) return null;
      // Reported by the next morning, before the receiver's next batch.
      return toSubmission(
        generator.result(receiver, entry, patient.idNumber, performedAt, 0, 'final'),
        performedAt.getTime() + 18 * HOUR_MS,
      );
    },
  };
}

/** The batch item a HIS would send for a result; a report time past `sentBy` is brought forward to it. */
function toSubmission(result: DemoResult, sentBy: number): Submission {
  const reportedAt = result.reportedAt && new Date(Math.min(result.reportedAt.getTime(), sentBy));
  return {
    accessionNo: result.accessionNo,
    patient: { idType: 'resident_id', idNumber: result.patientIdNumber },
    itemCode: result.itemCode,
    performedAt: result.performedAt.toISOString(),
    ...(reportedAt && result.status !== 'preliminary' ? { reportedAt: reportedAt.toISOString() } : {}),
    status: result.status,
    kind: result.kind,
    ...(result.imagesAvailable === null ? {} : { imagesAvailable: result.imagesAvailable }),
    ...(result.studyUid === null ? {} : { studyUid: result.studyUid }),
    criticalOpen: result.criticalOpen,
    ...(result.equipment === null ? {} : { equipment: result.equipment }),
    ...(result.analytes === null ? {} : { analytes: result.analytes }),
    ...(result.findings === null ? {} : { findings: result.findings }),
  };
}

const addenda = ['补充报告：复核后结论不变，补充测量数据。', '更正报告：修正部位描述。'];

/** The resubmission of a report: revised (one value or the findings), withdrawn, or made final. */
function corrected(original: Submission, kind: Correction['kind'], at: number): Submission {
  const sent = new Date(at).toISOString();
  if (kind === 'withdrawn') return { ...original, status: 'entered-in-error' };
  if (kind === 'finalised') return { ...original, status: 'final', reportedAt: sent };
  const status = kind === 'amended' ? 'amended' : 'corrected';
  if (original.analytes && original.analytes.length > 0) {
    const [first, ...rest] = original.analytes;
    const value = typeof first.value === 'number' ? Math.round(first.value * 1.03 * 100) / 100 : first.value;
    return { ...original, status, reportedAt: sent, analytes: [{ ...first, value }, ...rest] };
  }
  return { ...original, status, reportedAt: sent, findings: `${original.findings ?? ''}${addenda[kind === 'amended' ? 0 : 1]}` };
}
