import { z } from 'zod';
import { identifier, line, patientIdentity } from '../../http/schemas.ts';
import { declineCodes, reasonCodes } from '../rules/index.ts';

export const practitionerId = identifier.describe("The doctor's id at the hospital (audited)");

export const checkContext = z
  .object({
    emergency: z.boolean().optional(),
    preSurgery: z.boolean().optional(),
    preTransfusion: z.boolean().optional(),
    conditionChanged: z.boolean().optional(),
    rapidChange: z.boolean().optional(),
    forensic: z.boolean().optional(),
    patientRequest: z.boolean().optional(),
    needsThinSlice: z.boolean().optional().describe('The doctor needs thin-slice or better imaging equipment'),
  })
  .strict()
  .meta({
    id: 'CheckContext',
    description: 'Clinical advisories: they never make a result ineligible, they permit a retest with a prefilled decline reason',
  });

export const checkRequest = z
  .object({
    practitionerId,
    patient: patientIdentity,
    items: z.array(identifier).min(1).max(50).describe('Catalogue item codes or the hospital’s local codes'),
    purpose: line(32).describe('Must be "treatment"; any other purpose is refused (403)'),
    context: checkContext.optional(),
  })
  .strict()
  .meta({ id: 'RecognitionCheckRequest' });

export const savings = z.object({ yuan: z.number(), minutes: z.number().int(), radiationMsv: z.number() }).meta({
  id: 'Savings',
  description: 'What recognising saves: the item price at the receiver’s price tier, its minutes and typical dose',
});

export const candidate = z
  .object({
    resultId: z.uuid(),
    accessionNo: z.string(),
    issuingHospitalId: z.string(),
    itemCode: z.string().describe('The item of the prior result (a lab panel may stand for a requested single test)'),
    performedAt: z.iso.datetime(),
    outcome: z.enum(['RECOGNIZABLE', 'NOT_RECOGNIZABLE']),
    retestPermitted: z.boolean(),
    reasons: z.array(z.enum(reasonCodes)).describe('One code per failing gate, in gate order; the first decides'),
    advisories: z.array(z.enum(declineCodes)).describe('Clinical advisories: prefilled decline reasons'),
    explanation: z.string().describe('One sentence for the doctor, in Chinese or English by Accept-Language'),
    savings,
  })
  .meta({ id: 'Candidate' });

export const checkResponse = z
  .object({
    checkId: z.uuid(),
    ruleSetVersion: z.number().int(),
    items: z.array(z.object({ itemCode: z.string(), requestedCode: z.string(), candidates: z.array(candidate) })),
  })
  .meta({ id: 'RecognitionCheck' });

export const checkParams = z.object({ checkId: z.uuid() });

export const decisionInput = z
  .object({
    resultId: z.uuid(),
    itemCode: identifier.optional().describe('Only needed when one result is a candidate for several requested items'),
    action: z.enum(['recognized', 'declined']),
    reasonCode: z.enum(declineCodes).optional().describe('Required for a decline'),
    reasonText: line(200).optional().describe('Required with D6_OTHER; at most 200 characters'),
  })
  .strict();

export const decisionsRequest = z
  .object({
    practitionerId: practitionerId.optional().describe('The doctor deciding; omitted: the doctor who made the check'),
    decisions: z.array(decisionInput).min(1).max(100),
  })
  .strict()
  .meta({ id: 'DecisionsRequest' });

export const decisionView = z
  .object({
    decisionId: z.uuid(),
    resultId: z.uuid(),
    itemCode: z.string(),
    action: z.enum(['recognized', 'declined']),
    reasonCode: z.enum(declineCodes).nullable(),
    reasonText: z.string().nullable(),
    flagged: z.boolean().describe('A recognisable result with no advisory was declined: for review'),
    savings,
  })
  .meta({ id: 'Decision' });

export const decisionsResponse = z.object({ decisions: z.array(decisionView) }).meta({ id: 'Decisions' });
