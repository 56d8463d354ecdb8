import * as oauth from 'oauth4webapi';

// The WHATWG application/x-www-form-urlencoded serializer, which RFC 6749 appendix B refers to.
function formUrlEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/**
 * Creates the token endpoint client authentication of RFC 6749 section 2.3.1.
 *
 * For `client_secret_basic` the client id and secret are form-urlencoded before Base64, as that
 * section requires. oauth4webapi's own `ClientSecretBasic` (3.8) also escapes `-`, `.` and `_`.
 * Conforming servers decode that, but providers that skip the decoding then reject the client.
 * This serializer leaves letters, digits and `*-._` as they are, so such providers work
 * whenever the credentials contain no other characters.
 */
export function createClientAuthentication(method: 'client_secret_basic' | 'client_secret_post', clientSecret: string): oauth.ClientAuth {
  if (method === 'client_secret_post') {
    return oauth.ClientSecretPost(clientSecret);
  }

  return (_authorizationServer, client, _body, headers) => {
    const credentials = `${formUrlEncode(client.client_id)}:${formUrlEncode(clientSecret)}`;
    headers.set('authorization', `Basic ${Buffer.from(credentials).toString('base64')}`);
  };
}
