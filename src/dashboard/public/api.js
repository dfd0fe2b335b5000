// The page's only contact with the service: the token endpoint and the reports API, same origin.

const TOKEN_KEY = 'mre.dashboard.token';

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

// The token lives for this tab only: sessionStorage, never localStorage or a cookie.
export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  store: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/**
 * The token's claims, for display only (the service verifies the signature on every request):
 * who signed in, whether as an administrator, and which hospital a hospital client acts for.
 */
export function describeToken(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const base64 = parts[1]
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(parts[1].length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    const scopes = String(claims.scope ?? '')
      .split(' ')
      .filter(Boolean);
    return {
      subject: String(claims.sub ?? ''),
      scopes,
      isAdmin: scopes.includes('admin'),
      hospitalId: typeof claims.hospital_id === 'string' ? claims.hospital_id : null,
      expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : null,
    };
  } catch {
    return null;
  }
}

// RFC 6749 §2.3.1: the client id and secret are form-urlencoded before Basic encoding.
const formEncode = (value) => encodeURIComponent(value).replace(/%20/g, '+');

/** Client credentials grant with client_secret_basic; answers the access token. */
export async function requestToken(clientId, clientSecret) {
  const response = await call('/v1/oauth/token', {
    method: 'POST',
    headers: { authorization: `Basic ${btoa(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`, accept: 'application/json' },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  if (!response.ok) throw await failure(response);
  const body = await response.json();
  return body.access_token;
}

export function reportUrl(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** Reports label some rows in the caller's language (decline codes), so say which one the page shows. */
export async function getJson(token, url, language = 'en') {
  const response = await call(url, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'accept-language': language },
  });
  if (!response.ok) throw await failure(response);
  return response.json();
}

/** The same report as text/csv, as a Blob ready to save. */
export async function getCsv(token, url, language = 'en') {
  const response = await call(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/csv', 'accept-language': language } });
  if (!response.ok) throw await failure(response);
  return response.blob();
}

async function call(url, init) {
  try {
    return await fetch(url, { ...init, cache: 'no-store', credentials: 'omit' });
  } catch {
    throw new ApiError(0, '');
  }
}

/** problem+json carries `detail`; the token endpoint answers RFC 6749 `error_description`. */
async function failure(response) {
  let detail = `${response.status} ${response.statusText}`.trim();
  try {
    const body = await response.json();
    detail = body.detail || body.error_description || body.title || detail;
  } catch {
    // Not JSON: keep the status line.
  }
  return new ApiError(response.status, detail);
}
