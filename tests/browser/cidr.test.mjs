// assets/portal/cidr.js (the network page's per-line check) against the same oracle the API's
// parser is held to (tests/fixtures/netpolicy/oracle.json, Python's ipaddress), with the API's
// deliberate differences (tests/netpolicy_oracle.rs): zone ids, netmask and zero-led prefixes
// refused, IPv4-mapped networks turned into IPv4, host bits refused naming the network.
// Needs no server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseCidr } from "../../assets/portal/cidr.js";

const oracle = JSON.parse(readFileSync("tests/fixtures/netpolicy/oracle.json", "utf8"));

const refusedPrefixForm = (input) => {
  const prefix = input.split("/")[1];
  return prefix !== undefined && (prefix.includes(".") || (prefix.length > 1 && prefix.startsWith("0")));
};

test("cidr.js agrees with the API's parser on every network of the oracle", () => {
  let hostBits = 0, accepted = 0;
  for (const [input, strictOk, , , ours] of oracle.networks) {
    const got = parseCidr(input);
    if (input.includes("%") || refusedPrefixForm(input)) {
      assert.ok(got.error, `${input}: refused by the API, cidr.js gave ${JSON.stringify(got)}`);
    } else if (strictOk) {
      assert.equal(got.cidr, ours, input);
      accepted += 1;
    } else if (ours) {
      assert.ok(got.error?.includes(`did you mean ${ours}?`), `${input}: ${JSON.stringify(got)}`);
      hostBits += 1;
    } else {
      assert.ok(got.error, `${input}: refused by the API, cidr.js gave ${JSON.stringify(got)}`);
    }
  }
  assert.ok(accepted >= 300 && hostBits >= 100, `accepted ${accepted}, host bits ${hostBits}`);
});

test("a bare address is a host network; the error says what is wrong", () => {
  assert.deepEqual(parseCidr("198.51.100.7"), { cidr: "198.51.100.7/32" });
  assert.deepEqual(parseCidr("2001:DB8::1"), { cidr: "2001:db8::1/128" });
  assert.deepEqual(parseCidr("::ffff:198.51.100.0/120"), { cidr: "198.51.100.0/24" });
  assert.match(parseCidr("10.0.0.300/8").error, /not an IPv4 or IPv6 address/);
  assert.match(parseCidr("10.0.0.0/33").error, /prefix length from 0 to 32/);
  assert.match(parseCidr("10.0.0.1/8").error, /did you mean 10\.0\.0\.0\/8\?/);
});
