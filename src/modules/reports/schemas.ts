import { z } from 'zod';
import { calendarDate, identifier, line } from '../../http/schemas.ts';
import { categories } from '../rules/index.ts';

import { savingsGroupings } from './dimensions.ts';

export type { SavingsGrouping } from './dimensions.ts';

const period = {
  from: calendarDate.optional().describe('First Asia/Shanghai day (default: 29 days before `to`)'),
  to: calendarDate.optional().describe('Last Asia/Shanghai day, inclusive (default: today)'),
};

export const savingsQuery = z.object({
  ...period,
  groupBy: z.enum(savingsGroupings).default('day'),
  hospitalId: identifier.optional().describe('The receiving hospital (hospital clients: their own, implied)'),
  city: line(100).optional().describe('The receiving hospital’s city'),
  category: z.enum(categories).optional(),
});

const figures = {
  checks: z.number().int().describe('Requested items checked'),
  checksWithRecognizable: z.number().int().describe('Checked items with at least one recognisable candidate'),
  recognitions: z.number().int().describe('Mutual (inter-hospital) recognitions'),
  declines: z.number().int(),
  flaggedDeclines: z.number().int().describe('Declines of a recognisable result with no advisory: for review'),
  recognitionRate: z
    .number()
    .nullable()
    .describe("Checked items with a recognition / checked items with a recognisable candidate, both counted on the check's day"),
  yuan: z.number(),
  minutes: z.number(),
  radiationMsv: z.number(),
  patients: z
    .number()
    .int()
    .describe(
      'Patient-days: distinct patients with a mutual recognition per Asia/Shanghai day, summed over the days (additive, so reports stay fast)',
    ),
  minutesPerPatient: z.number().nullable().describe('minutes / patients'),
  sameHospital: z
    .object({ recognitions: z.number().int(), yuan: z.number(), minutes: z.number(), radiationMsv: z.number() })
    .describe('Reuse of the receiver’s own earlier results (duplicate-order alerts), kept apart from mutual recognition'),
};

export const freshness = z
  .object({
    uncounted: z.number().int().describe('Checks and decisions recorded but not yet counted into these figures'),
    oldestUncountedSeconds: z.number().describe('Age of the oldest of them: the aggregator counts them within seconds'),
  })
  .meta({
    id: 'ReportFreshness',
    description: 'How fresh the figures are: reports read the aggregates, which follow the log within seconds',
  });

export const savingsRow = z.object({ key: z.string(), label: z.string(), ...figures }).meta({ id: 'SavingsRow' });
export const savingsReport = z
  .object({
    from: z.string(),
    to: z.string(),
    groupBy: z.enum(savingsGroupings),
    totals: z.object(figures),
    rows: z.array(savingsRow),
    freshness,
  })
  .meta({ id: 'SavingsReport' });

/** How many rows a ranked report returns: its largest groups first. */
const rowLimit = z.coerce
  .number()
  .int()
  .min(1)
  .max(100_000)
  .default(1000)
  .describe('At most this many rows, the largest first (raise it to export every group, e.g. as CSV)');

export const declinesQuery = z.object({
  ...period,
  groupBy: z.enum(['code', 'hospital', 'practitioner']).default('code'),
  hospitalId: identifier.optional(),
  city: line(100).optional().describe('The receiving hospital’s city'),
  limit: rowLimit,
});
export const declinesReport = z
  .object({
    from: z.string(),
    to: z.string(),
    groupBy: z.enum(['code', 'hospital', 'practitioner']),
    totals: z.object({ declines: z.number().int(), flagged: z.number().int() }).describe('Over every group, listed or not'),
    groups: z.number().int().describe('Groups with declines in the period; more than the rows when `limit` cut the list'),
    rows: z.array(z.object({ key: z.string(), label: z.string(), declines: z.number().int(), flagged: z.number().int() })),
    freshness,
  })
  .meta({ id: 'DeclinesReport' });

export const flowsQuery = z.object({
  ...period,
  hospitalId: identifier.optional().describe('Flows into or out of this hospital'),
  city: line(100).optional(),
  limit: rowLimit,
});
export const flowsReport = z
  .object({
    from: z.string(),
    to: z.string(),
    pairs: z
      .number()
      .int()
      .describe('Issuer → receiver pairs with recognitions in the period; more than the rows when `limit` cut the list'),
    rows: z.array(
      z.object({
        issuerId: z.string(),
        issuerName: z.string(),
        receiverId: z.string(),
        receiverName: z.string(),
        recognitions: z.number().int(),
        yuan: z.number(),
      }),
    ),
    freshness,
  })
  .meta({ id: 'FlowsReport' });

export const certificationsQuery = z.object({ hospitalId: identifier.optional(), city: line(100).optional() });
export const certificationsReport = z
  .object({
    asOf: z.string(),
    rows: z.array(
      z.object({
        hospitalId: z.string(),
        hospitalName: z.string(),
        category: z.string().describe('An item category, or "all" for events covering every item'),
        active: z.number().int(),
        suspended: z.number().int(),
        revoked: z.number().int(),
      }),
    ),
  })
  .meta({ id: 'CertificationsReport' });
