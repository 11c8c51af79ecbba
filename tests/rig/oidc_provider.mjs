// A real OpenID provider for tests: npm's oidc-provider (OpenID-certified) on loopback, with one
// client and the people given in OIDC_ACCOUNTS. Its development sign-in form takes any password; the
// login typed there is the account's id, whose claims come from OIDC_ACCOUNTS.
//
//   OIDC_PORT=… OIDC_CLIENT='{"client_id":…,"client_secret":…,"redirect_uris":[…]}'
//   OIDC_ACCOUNTS='{"jane":{"preferred_username":"jane",…}}' node oidc_provider.mjs
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');
const client = JSON.parse(process.env.OIDC_CLIENT);

const provider = new Provider(issuer, {
  clients: [{ ...client, grant_types: ['authorization_code'], response_types: ['code'] }],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username', 'groups'],
    email: ['email', 'email_verified'],
  },
  async findAccount(ctx, sub) {
    const claims = accounts[sub];
    if (!claims) return undefined;
    return { accountId: sub, async claims() { return { sub, ...claims }; } };
  },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['backchannel-tests-only'] },
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
