// The end of an admin's test sign-in, in the window the SSO page opened (the ACS answers
// saml-test.html): tells that page, on this origin only, that the verdict is ready, then
// closes. Nothing about the verdict travels here; the SSO page reads it from the API.
if (window.opener) {
  window.opener.postMessage({ samlTest: "done" }, location.origin);
  window.close();
}
