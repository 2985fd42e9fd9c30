"""A minimal SAML 2.0 identity provider for the e2e tests, built on signxml (PyPI).

Reads an HTTP-POST-binding AuthnRequest (base64, as the SP's login page posts it), and
prints the base64 samlp:Response an IdP would POST back to the request's
AssertionConsumerServiceURL: Issuer, Success status, one Assertion for the given email
(NameID emailAddress, bearer SubjectConfirmation answering the request, Conditions with the
SP as audience, AuthnStatement, email/givenName/surname/groups attributes), enveloped-signed
(exclusive c14n, SHA-256, RSA-SHA256 or ECDSA-SHA256 by key type) with the given key.

Usage: idp.py SAML_REQUEST_B64 EMAIL KEY_PEM CERT_PEM [--sign response|assertion]
              [--alg rsa-sha256|ecdsa-sha256] [--issuer URI] [--audience URI]
              [--assertion-id ID] [--given NAME] [--family NAME]
"""
import argparse
import base64
import datetime
import uuid

from lxml import etree
from signxml import XMLSigner, methods

NS = {"samlp": "urn:oasis:names:tc:SAML:2.0:protocol", "saml": "urn:oasis:names:tc:SAML:2.0:assertion"}

ap = argparse.ArgumentParser()
ap.add_argument("request")
ap.add_argument("email")
ap.add_argument("key")
ap.add_argument("cert")
ap.add_argument("--sign", choices=["response", "assertion"], default="assertion")
ap.add_argument("--alg", choices=["rsa-sha256", "ecdsa-sha256"], default="rsa-sha256")
ap.add_argument("--issuer", default="https://idp.example.test/saml")
ap.add_argument("--audience")
ap.add_argument("--assertion-id", help="reuse this Assertion ID (replay tests)")
ap.add_argument("--given", default="Sam")
ap.add_argument("--family", default="Ell")
a = ap.parse_args()

request = etree.fromstring(base64.b64decode(a.request), parser=etree.XMLParser(resolve_entities=False, no_network=True))
request_id = request.get("ID")
acs = request.get("AssertionConsumerServiceURL")
sp = request.find("saml:Issuer", NS).text
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
fmt = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
response_id, assertion_id = "_r" + uuid.uuid4().hex, a.assertion_id or "_a" + uuid.uuid4().hex

xml = f"""<samlp:Response xmlns:samlp="{NS['samlp']}" xmlns:saml="{NS['saml']}" ID="{response_id}" Version="2.0"
 IssueInstant="{fmt(now)}" Destination="{acs}" InResponseTo="{request_id}">
 <saml:Issuer>{a.issuer}</saml:Issuer>
 <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
 <saml:Assertion ID="{assertion_id}" Version="2.0" IssueInstant="{fmt(now)}">
  <saml:Issuer>{a.issuer}</saml:Issuer>
  <saml:Subject>
   <saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{a.email}</saml:NameID>
   <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
    <saml:SubjectConfirmationData InResponseTo="{request_id}" NotOnOrAfter="{fmt(now + datetime.timedelta(minutes=5))}" Recipient="{acs}"/>
   </saml:SubjectConfirmation>
  </saml:Subject>
  <saml:Conditions NotBefore="{fmt(now - datetime.timedelta(minutes=1))}" NotOnOrAfter="{fmt(now + datetime.timedelta(minutes=5))}">
   <saml:AudienceRestriction><saml:Audience>{a.audience or sp}</saml:Audience></saml:AudienceRestriction>
  </saml:Conditions>
  <saml:AuthnStatement AuthnInstant="{fmt(now)}" SessionIndex="{assertion_id}">
   <saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>
  </saml:AuthnStatement>
  <saml:AttributeStatement>
   <saml:Attribute Name="email"><saml:AttributeValue>{a.email}</saml:AttributeValue></saml:Attribute>
   <saml:Attribute Name="givenName"><saml:AttributeValue>{a.given}</saml:AttributeValue></saml:Attribute>
   <saml:Attribute Name="surname"><saml:AttributeValue>{a.family}</saml:AttributeValue></saml:Attribute>
   <saml:Attribute Name="groups"><saml:AttributeValue>engineering</saml:AttributeValue><saml:AttributeValue>sso-users</saml:AttributeValue></saml:Attribute>
  </saml:AttributeStatement>
 </saml:Assertion>
</samlp:Response>"""
root = etree.fromstring(xml.encode())
key, cert = open(a.key, "rb").read(), open(a.cert, "rb").read()
signer = XMLSigner(method=methods.enveloped, signature_algorithm=a.alg, digest_algorithm="sha256",
                   c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
if a.sign == "assertion":
    assertion = root.find("saml:Assertion", NS)
    signed = signer.sign(assertion, key=key, cert=cert, reference_uri=assertion_id)
    # Schema order: the Signature goes right after the Assertion's Issuer.
    signature = signed.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    signed.remove(signature)
    signed.insert(1, signature)
    root.replace(assertion, signed)
else:
    signed = signer.sign(root, key=key, cert=cert, reference_uri=response_id)
    signature = signed.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    signed.remove(signature)
    signed.insert(1, signature)
    root = signed
print(base64.b64encode(etree.tostring(root)).decode())
