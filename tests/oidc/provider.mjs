// A real OpenID Provider (npm oidc-provider) for the integration tests, on loopback.
//
// Configuration: a JSON object in the environment variable OIDC_CONFIG:
//   { "port": 0,                 // 0: any free port; a fixed one to restart "the same" provider
//     "host": "127.0.0.1",       // the issuer's host (another name than the one the tests
//                                // connect to makes a wrong `iss`)
//     "skew": 0,                 // seconds added to this process's clock (expired ID tokens)
//     "iss_param": true,         // false: no `iss` in the redirect (RFC 9207), so that only
//                                // the ID token names the issuer
//     "clients": [{ "client_id", "client_secret", "redirect_uris": [...] }],
//     "users": { "LOGIN": { "email", "email_verified", "groups": [...] } } }
// The sign-in page accepts any password; the login names the user. Each start makes a new
// signing key (a restart is a key rotation). POST /test/users with a JSON object replaces
// the users (an email or group change at the provider). Prints "READY <issuer>" once it
// listens.
import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OIDC_CONFIG || '{}');
if (config.skew) {
  const realNow = Date.now;
  Date.now = () => realNow() + config.skew * 1000;
}
let users = config.users || {};

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = privateKey.export({ format: 'jwk' });
jwk.kid = crypto.randomBytes(8).toString('hex');
jwk.alg = 'RS256';
jwk.use = 'sig';

let provider;
const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/test/users') {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      users = JSON.parse(body);
      res.writeHead(204).end();
    });
    return;
  }
  provider.callback()(req, res);
});

server.listen(config.port || 0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://${config.host || '127.0.0.1'}:${port}`;
  provider = new Provider(issuer, {
    clients: (config.clients || []).map((client) => ({
      grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...client,
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: ['supportctl-test-cookie-key'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
      profile: ['name'],
    },
    scopes: ['openid', 'email', 'groups', 'profile'],
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
    },
    pkce: { required: () => true },
    ttl: { DeviceCode: 600, IdToken: 3600, AccessToken: 3600, Interaction: 600, Session: 3600, Grant: 3600, AuthorizationCode: 60 },
    async findAccount(ctx, id) {
      const user = users[id];
      if (!user) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: user.sub || id, ...user };
        },
      };
    },
  });
  provider.proxy = false;
  if (config.iss_param === false) {
    provider.on('authorization.success', (ctx, out) => { delete out.iss; });
  }
  process.stdout.write(`READY ${issuer}\n`);
});
