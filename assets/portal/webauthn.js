// WebAuthn ceremonies from the API's JSON options (WebAuthn Level 3 JSON forms: the browser
// parses the options and serialises the credential).

/** A new passkey: the registration response as JSON, for POST /api/me/passkeys. */
export async function create(publicKeyJson) {
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(publicKeyJson);
  const credential = await navigator.credentials.create({ publicKey });
  return credential.toJSON();
}

/** An assertion with an enrolled passkey, for sign-in and step-up. */
export async function get(publicKeyJson) {
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(publicKeyJson);
  const assertion = await navigator.credentials.get({ publicKey });
  return assertion.toJSON();
}

/** A refused or cancelled ceremony, in words. */
export function ceremonyError(e) {
  if (e?.name === "NotAllowedError") return "The passkey prompt was cancelled or timed out. Try again.";
  if (e?.name === "InvalidStateError") return "This passkey is already registered on your account.";
  return `The browser could not complete the passkey ceremony: ${e?.message || e}`;
}
