"""Checks SP metadata the way an IdP administrator's tooling would: validates it against the
SAML 2.0 metadata XSD (the schemas pysaml2 ships, through `saml2.xml.schema`) and loads it
with pysaml2's metadata store as an SP, printing what pysaml2 read as JSON.

Usage: check_sp_metadata.py METADATA_URL
"""
import json
import sys
import urllib.request

from saml2 import BINDING_HTTP_POST
from saml2.mdstore import InMemoryMetaData
from saml2.xml.schema import validate

text = urllib.request.urlopen(sys.argv[1], timeout=30).read().decode()
validate(text)  # raises XMLSchemaError when the document breaks the schema
store = InMemoryMetaData(None, None)
store.parse(text)
(entity_id, entity), = store.items()
sp = entity["spsso_descriptor"][0]
print(json.dumps({
    "entityId": entity_id,
    "acs": [a["location"] for a in sp["assertion_consumer_service"] if a["binding"] == BINDING_HTTP_POST],
    "wantAssertionsSigned": sp.get("want_assertions_signed"),
    "authnRequestsSigned": sp.get("authn_requests_signed"),
    "nameIdFormats": [f["text"] for f in sp.get("name_id_format", [])],
}))
