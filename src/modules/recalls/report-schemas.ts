import { z } from 'zod';
import { calendarDate, identifier, timestamp } from '../../http/schemas.ts';
import { recallCauses } from '../rules/index.ts';

export const recallReportQuery = z.object({
  from: calendarDate.optional().describe('First Asia/Shanghai day on which recalls were made (default: 29 days before `to`)'),
  to: calendarDate.optional().describe('Last Asia/Shanghai day, inclusive (default: today)'),
  hospitalId: identifier.optional().describe('Only recalls made to this recognising hospital'),
  issuerId: identifier.optional().describe('Only recalls of results this hospital issued'),
  staleDays: z.coerce.number().int().min(1).max(3650).default(7).describe('An open recall made more than this many days ago is stale'),
});
export type RecallReportQuery = z.infer<typeof recallReportQuery>;

const hours = (what: string) => z.number().nullable().describe(`${what}, in hours to a tenth; null when none was acknowledged`);

const figures = {
  recalls: z.number().int().describe('Recalls made in the period'),
  acknowledged: z.number().int().describe('Of those, acknowledged by the recognising hospital (by now)'),
  open: z.number().int().describe('Of those, not yet acknowledged'),
  medianHoursToAcknowledge: hours('Median time from a recall to its acknowledgement, over the acknowledged ones'),
};

export const recallReportGroup = z
  .object({
    key: z.string().describe('The hospital’s registry id'),
    label: z.string().describe('The hospital’s name (its id when the registry does not know it)'),
    ...figures,
  })
  .meta({ id: 'RecallReportGroup', description: 'The recalls of the period that concern one hospital' });

export const recallReport = z
  .object({
    from: z.string().describe('First Asia/Shanghai day of the period'),
    to: z.string().describe('Last Asia/Shanghai day of the period, inclusive'),
    staleDays: z.number().int().describe('How old an open recall must be to count as stale'),
    asOf: timestamp.describe('The time open recalls are aged against'),
    totals: z
      .object({
        ...figures,
        openOlderThanStaleDays: z
          .number()
          .int()
          .describe('Open recalls made more than `staleDays` days before `asOf`, whenever they were made: the period does not apply'),
        p90HoursToAcknowledge: hours('90th percentile of the time from a recall to its acknowledgement'),
      })
      .describe('Every recall of the period'),
    byCause: z
      .array(z.object({ cause: z.enum(recallCauses).describe('Why the recall was made'), ...figures }))
      .describe('One row per cause, in the order amended, withdrawn, certification, zeros included'),
    byIssuer: z.array(recallReportGroup).describe('Per issuing hospital, the most recalls first'),
    byHospital: z.array(recallReportGroup).describe('Per recognising hospital (the one told), the most recalls first'),
    stale: z
      .array(
        z.object({
          recallId: z.string().describe('The recall'),
          hospitalId: z.string().describe('The recognising hospital, which has to acknowledge it'),
          issuingHospitalId: z.string().describe('The hospital that issued the result'),
          accessionNo: z.string().describe('The result’s accession number at its issuer'),
          itemCode: z.string().describe('The result’s catalogue item'),
          cause: z.enum(recallCauses),
          createdAt: timestamp.describe('When the recall was made'),
          ageDays: z.number().int().describe('Whole days since the recall was made, at `asOf`'),
        }),
      )
      .describe('The oldest stale recalls (open, made more than `staleDays` days ago, whenever), at most 100, oldest first'),
  })
  .meta({ id: 'RecallReport' });
export type RecallReport = z.infer<typeof recallReport>;
