/**
 * Domain errors. Services throw these; one handler (plugins/problem.ts) writes them as
 * RFC 9457 application/problem+json. `type` is a stable URI per error class.
 */
export interface FieldError {
  field: string;
  message: string;
}

export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
  }

  /** Fastify and its plugins read the status from here. */
  get statusCode(): number {
    return this.status;
  }
}

export class BadRequest extends ProblemError {
  constructor(detail: string, errors: FieldError[] = []) {
    super(400, 'validation', 'Invalid request', detail, errors.length > 0 ? { errors } : {});
  }
}

export class Unauthorized extends ProblemError {
  constructor(detail = 'A valid bearer access token is required') {
    super(401, 'unauthorized', 'Unauthorized', detail);
  }
}

export class Forbidden extends ProblemError {
  constructor(detail: string) {
    super(403, 'forbidden', 'Forbidden', detail);
  }
}

export class NotFound extends ProblemError {
  constructor(detail: string) {
    super(404, 'not-found', 'Not found', detail);
  }
}

export class Conflict extends ProblemError {
  constructor(detail: string, slug = 'conflict', extensions: Record<string, unknown> = {}) {
    super(409, slug, 'Conflict', detail, extensions);
  }
}

export const problemTypeBase = 'https://mutual-recognition.dev/problems/';
