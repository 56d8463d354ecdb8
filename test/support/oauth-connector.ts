/** Returns connector definitions for the loopback authorization server; they allow private networks because it runs on 127.0.0.1. */
export function oauthConnectorFile(issuer: string): Record<string, string> {
  return {
    'test-oauth.yaml': `id: test-oauth
name: Test Books
auth:
  mode: oauth2
  authorizationUrl: ${issuer}/auth
  tokenUrl: ${issuer}/token
  scopes: [openid, offline_access, contacts.read]
  pkce: true
  clientAuth: client_secret_basic
  authorizationParams: { prompt: consent }
fields: []
api:
  baseUrl: ${issuer}/api
  inject: { header: Authorization, value: "Bearer {accessToken}" }
allowPrivateNetwork: true
`,
    'test-client-credentials.yaml': `id: test-client-credentials
name: Test Ledger
auth:
  mode: oauth2_client_credentials
  tokenUrl: ${issuer}/token
  scopes: [contacts.read]
  clientAuth: client_secret_post
fields:
  - name: clientId
    label: Client ID
  - name: clientSecret
    label: Client secret
    secret: true
api:
  baseUrl: ${issuer}/api
  inject: { header: Authorization, value: "Bearer {accessToken}" }
allowPrivateNetwork: true
`,
  };
}
