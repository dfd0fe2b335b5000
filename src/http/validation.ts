import { BadRequest, type FieldError } from '../errors.ts';

/** A validation issue as zod reports it (and as the type provider passes it on). */
export interface Issue {
  path: readonly PropertyKey[];
  code: string;
  message: string;
  keys?: readonly string[];
}

/**
 * Validation issues as field errors, in one wording everywhere: dot-notation paths under `root`
 * (`whole` names the value itself), and an unknown key reported at the key itself, one error each.
 */
export function fieldErrors(issues: readonly Issue[], root: readonly string[] = [], whole = 'body'): FieldError[] {
  return issues.flatMap((issue) => {
    const path = [...root, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys')
      return (issue.keys ?? []).map((key) => ({ field: [...path, key].join('.'), message: 'is not a recognised field' }));
    return [{ field: path.join('.') || whole, message: issue.message }];
  });
}

export function validationDetail(errors: readonly FieldError[]): string {
  return `${errors.length} field${errors.length === 1 ? '' : 's'} failed validation: ${errors.map((e) => e.field).join(', ')}`;
}

/** The 400 for field errors, with the standard detail. */
export function invalidFields(errors: FieldError[]): BadRequest {
  return new BadRequest(validationDetail(errors), errors);
}
