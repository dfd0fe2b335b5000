/**
 * RFC 4180 CSV: CRLF line ends, a header row, fields quoted when they hold a comma, quote or line
 * break. Text that a spreadsheet would run as a formula (= + - @ tab CR first) is prefixed with an
 * apostrophe (OWASP CSV injection); numbers are written as they are.
 */
export function toCsv(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const field = (value: unknown) => {
    const raw = value === null || value === undefined ? '' : String(value);
    const text = typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${raw}` : raw;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [columns, ...rows].map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}

/** True when the caller prefers text/csv to JSON. */
export function wantsCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranked = accept.split(',').map((part) => {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    const q = Number(params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean) ?? 1);
    return { type: type.trim(), q };
  });
  const q = (type: string) => Math.max(0, ...ranked.filter((r) => r.type === type).map((r) => r.q));
  return q('text/csv') > 0 && q('text/csv') >= Math.max(q('application/json'), q('*/*') * 0.999);
}
