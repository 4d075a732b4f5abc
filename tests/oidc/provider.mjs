// A real OpenID Connect provider for the test suite: node-oidc-provider (a certified implementation) with one
// client, the portal, and two accounts. Started by the `oidc_provider` pytest fixture (tests/oidc/server.py):
//   node provider.mjs <port> <client_id> <client_secret> <redirect_uri>
// It prints "ready <issuer>" once it listens. Sign-in uses the library's own interaction pages (a login form,
// then a consent form); only the accounts below exist.
import Provider from "oidc-provider";

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const ACCOUNTS = {
  "ada.lovelace": { email: "ada.lovelace@uni.example.edu", name: "Ada Lovelace", preferred_username: "ada.lovelace" },
  "alan.turing": { email: "alan.turing@uni.example.edu", name: "Alan Turing", preferred_username: "alan.turing" },
};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
      // A loopback redirect URI of a native client matches on any port (RFC 8252): the test client and the live
      // server reach the portal on different ones.
      application_type: "native",
    },
  ],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "preferred_username"] },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, email_verified: true, ...account }) };
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["go3s-test-oidc-cookie-key"] },
});
provider.proxy = false;

const server = provider.listen(Number(port), "127.0.0.1", () => {
  process.stdout.write(`ready ${issuer}\n`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
