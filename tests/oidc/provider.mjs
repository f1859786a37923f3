// The OpenID provider of the single sign-on tests: oidc-provider (OpenID Certified) on the
// loopback, with its own development login form (any password) and consent screen.
// Configuration: JSON in OIDC_TEST_CONFIG: {port, clients: [...], accounts: {login: claims}}.
// Prints "siap" when it listens.
import Provider from 'oidc-provider';

const cfg = JSON.parse(process.env.OIDC_TEST_CONFIG);

const provider = new Provider(`http://127.0.0.1:${cfg.port}`, {
  clients: cfg.clients.map((c) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...c,
  })),
  claims: { openid: ['sub'], profile: ['name', 'nip', 'groups'] },
  // The NIP travels in the ID token itself, as BKN's SSO sends it.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['kunci-cookie-uji-selaras'] },
  async findAccount(ctx, id) {
    const claims = cfg.accounts[id] || {};
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
});
provider.proxy = false;
provider.listen(cfg.port, '127.0.0.1', () => { console.log('siap'); });
