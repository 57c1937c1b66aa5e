// A real OpenID provider for the single sign-on tests: panva's oidc-provider (certified), run by
// tests/sessions/oidc_provider.py as `node provider.mjs` with its settings in the environment:
//   PORT           where it listens on 127.0.0.1 (the issuer is http://127.0.0.1:PORT)
//   ISSUER_PORT    optional: the issuer's port when a proxy in front of PORT is the way in
//   REDIRECT_URIS  comma-separated redirect URIs of the Doc Box client(s)
//   CLIENT_SECRET  the secret of every client
// Its development sign-in form takes any login; the login typed is the person's email, verified
// unless it starts with "unverified.". Consent is granted at once (a first-party application).
//
// Clients: "docbox" (ordinary) and two that misbehave on purpose, so the tests can show that Doc Box
// refuses what a real provider's wrong answer would hold:
//   "docbox-other-audience"  its ID token is re-signed, with the provider's own key, for another audience
//   "docbox-stale"           its ID token is re-signed with the provider's own key, expired an hour ago
// Nothing else is changed: discovery, the authorization code flow, PKCE, the token endpoint, the key
// set and the signatures are the library's own.
import { generateKeyPair, exportJWK, SignJWT, decodeJwt, importJWK } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${process.env.ISSUER_PORT || port}`;  // another port: a proxy in front
const redirectUris = process.env.REDIRECT_URIS.split(',');
const secret = process.env.CLIENT_SECRET;

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
const signingKey = await importJWK(signingJwk, 'RS256');

const client = (clientId) => ({
  client_id: clientId,
  client_secret: secret,
  redirect_uris: redirectUris,
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
});

const provider = new Provider(issuer, {
  clients: [client('docbox'), client('docbox-other-audience'), client('docbox-stale')],
  jwks: { keys: [signingJwk] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['test-cookie-key-not-a-secret'] },
  ttl: { IdToken: 600, AccessToken: 600, AuthorizationCode: 60, Interaction: 600, Session: 600, Grant: 600 },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id.replace(/^unverified\./, ''), email_verified: !id.startsWith('unverified.'),
                 name: `Test ${id}` };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || ctx.status !== 200 || !ctx.body?.id_token) return;
  const clientId = ctx.oidc?.client?.clientId;
  if (clientId !== 'docbox-other-audience' && clientId !== 'docbox-stale') return;
  const claims = decodeJwt(ctx.body.id_token);
  if (clientId === 'docbox-other-audience') {
    claims.aud = 'another-application';
    claims.azp = clientId; // names Doc Box as the party it was handed to: only the audience check is left
  }
  if (clientId === 'docbox-stale') {
    claims.iat -= 4200;
    claims.exp = claims.iat + 600;
  }
  ctx.body = {
    ...ctx.body,
    id_token: await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).sign(signingKey),
  };
});

provider.listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));
