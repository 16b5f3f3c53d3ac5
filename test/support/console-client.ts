/** A console user agent over fetch: signs in, keeps the session cookie, reads CSRF tokens from pages. */
export interface ConsoleClient {
  cookie: string;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<Response>;
  /** The CSRF token of the session, as the page at `path` carries it. */
  csrf(path?: string): Promise<string>;
}

export async function signIn(url: string, token: string): Promise<ConsoleClient> {
  const answer = await fetch(`${url}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  const setCookie = answer.headers.get('set-cookie') ?? '';
  if (answer.status !== 303 || setCookie === '') throw new Error(`sign-in answered ${answer.status}`);
  return clientWith(url, setCookie.split(';')[0] ?? '');
}

export function clientWith(url: string, cookie: string): ConsoleClient {
  const client: ConsoleClient = {
    cookie,
    get: (path, headers = {}) =>
      fetch(`${url}${path}`, { redirect: 'manual', headers: { cookie, ...headers } }),
    post: (path, form, headers = {}) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(form),
      }),
    async csrf(path = '/console') {
      const page = await (await client.get(path)).text();
      const token = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
      if (token === undefined) throw new Error(`no CSRF token on ${path}`);
      return token;
    },
  };
  return client;
}
