// Plays a person's browser through the test provider's pages: follows redirects (keeping
// cookies), fills in the sign-in form with the login given, confirms consent and device codes,
// and stops at the first page that has no form, which it prints as one JSON line
// {"status", "url", "body", "fetched_at"} (when that page was asked for, in ms since the epoch:
// the benchmark's start of the provider's redirect).
//
//   node browser.mjs URL [LOGIN]     (else the login in OIDC_LOGIN)
const [, , start, loginArg] = process.argv;
// The login may come from the environment, for a browser started as `$BROWSER URL`.
const login = loginArg || process.env.OIDC_LOGIN;
const jar = new Map();

function keepCookies(response) {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const at = pair.indexOf('=');
    jar.set(pair.slice(0, at).trim(), pair.slice(at + 1));
  }
}

function cookieHeader() {
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
}

function parseForm(html) {
  const form = html.match(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/);
  if (!form) return null;
  const fields = new URLSearchParams();
  for (const input of form[2].matchAll(/<input[^>]*>/g)) {
    const name = input[0].match(/name="([^"]*)"/);
    if (!name) continue;
    const value = input[0].match(/value="([^"]*)"/);
    let text = value ? value[1] : '';
    if (name[1] === 'login') text = login;
    if (name[1] === 'password') text = 'any-password';
    fields.set(name[1], text.replace(/&amp;/g, '&'));
  }
  return { action: form[1].replace(/&amp;/g, '&'), fields };
}

let url = start;
let method = 'GET';
let body;
for (let step = 0; step < 30; step += 1) {
  const fetchedAt = Date.now();
  const response = await fetch(url, {
    method,
    body,
    redirect: 'manual',
    headers: {
      cookie: cookieHeader(),
      ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
  });
  keepCookies(response);
  method = 'GET';
  body = undefined;
  if (response.status >= 300 && response.status < 400) {
    url = new URL(response.headers.get('location'), url).toString();
    continue;
  }
  const text = await response.text();
  const form = response.status === 200 ? parseForm(text) : null;
  if (!form) {
    process.stdout.write(`${JSON.stringify({ status: response.status, url, body: text, fetched_at: fetchedAt })}\n`);
    process.exit(0);
  }
  url = new URL(form.action, url).toString();
  method = 'POST';
  body = form.fields.toString();
}
process.stderr.write('too many steps\n');
process.exit(1);
