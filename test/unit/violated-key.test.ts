import { describe, expect, it } from 'vitest';
import { violatedKey } from '../../src/plugins/problem.ts';

describe('violatedKey', () => {
  it("names the key from PostgreSQL's constraint field", () => {
    expect(
      violatedKey({
        constraint: 'idempotency_keys_pkey',
        message: 'duplicate key value violates unique constraint "idempotency_keys_pkey"',
      }),
    ).toBe('idempotency_keys_pkey');
  });

  it('names the key from the message of an error Citus relays from a worker, without the shard number', () => {
    expect(violatedKey({ message: 'duplicate key value violates unique constraint "idempotency_keys_pkey_102262"' })).toBe(
      'idempotency_keys_pkey',
    );
  });

  it('names nothing for another error', () => {
    expect(violatedKey({ message: 'deadlock detected' })).toBeUndefined();
  });
});
