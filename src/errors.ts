/**
 * Domain errors. Services throw these; one handler (plugins/problem.ts) writes them as
 * RFC 9457 application/problem+json. `type` is a stable URI per error class.
 */
export interface FieldError {
  field: string;
  message: string;
}

/** Whose data a refused request was about, when the service found out: for the audit trail, never sent. */
export interface RefusalSubject {
  patientKey: string;
  resultIds?: string[];
  /** The recognition check the refused request was about, when its path does not name it (CDS Hooks feedback). */
  checkId?: string;
}

export class ProblemError extends Error {
  readonly status: number;
  readonly slug: string;
  readonly title: string;
  readonly extensions: Record<string, unknown>;
  /** Response headers that go with the problem (Retry-After, Allow). */
  readonly headers: Record<string, string>;
  /** Set by `about`: the audit trail records the refusal under this patient (the answer never says it). */
  subject?: RefusalSubject;

  constructor(
    status: number,
    slug: string,
    title: string,
    detail: string,
    extensions: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(detail);
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.extensions = extensions;
    this.headers = headers;
  }

  /** Names the patient (and results) the refused request reached, for the audit trail only. */
  about(subject: RefusalSubject | undefined): this {
    this.subject = subject;
    return this;
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

/** A rate limit or an authentication lock-out: retry after the given seconds. */
export class TooManyRequests extends ProblemError {
  constructor(detail: string, retryAfterSeconds: number) {
    super(429, 'too-many-requests', 'Too many requests', detail, {}, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}

/**
 * The service cannot answer now but will soon: the database is down, hung or saturated, the process
 * is overloaded or shutting down. Always with Retry-After, so clients can tell an outage from a bug.
 */
export class ServiceUnavailable extends ProblemError {
  constructor(detail: string, slug = 'unavailable', retryAfterSeconds = 5, options?: { cause?: unknown }) {
    super(503, slug, 'Service unavailable', detail, {}, { 'retry-after': String(retryAfterSeconds) });
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

export const problemTypeBase = 'https://mutual-recognition.dev/problems/';
