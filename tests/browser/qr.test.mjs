// assets/portal/qr.js against a reference encoder: for each input, the version, the mask the
// penalty rule picks and every module must equal what Python's `qrcode` package
// (tests/conformance/requirements.txt; tests/browser/qr_reference.py) makes in byte mode at
// level M. Needs no server: the test venv's Python (AXIS_PYTHON, set by scripts/test.sh and
// scripts/e2e.sh) is the only outside piece.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { homedir } from "node:os";
import { encode } from "../../assets/portal/qr.js";

const python = process.env.AXIS_PYTHON ||
  `${process.env.XDG_CACHE_HOME || `${homedir()}/.cache`}/axissynapse/tools/scim-venv/bin/python`;

const INPUTS = [
  "A",
  "hello",
  "otpauth://totp/AxisSynapse:security%40browser.test?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=AxisSynapse",
  "otpauth://totp/AxisSynapse:enrol-security%40portal-mfa.test?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=AxisSynapse&algorithm=SHA1&digits=6&period=30",
  "0123456789012345678901234567890123456789",
  "ünïcödé ✓ QR",
  "https://example.test/" + "x".repeat(60),
  "y".repeat(120),
  "z".repeat(180),
  "Q".repeat(213),
  ...Array.from({ length: 12 }, (_, i) => `input ${i}: ${"abcdefghij".repeat(i + 1)}`),
];

test("qr.js makes the same symbols as Python's qrcode (version, level M, mask, modules)", () => {
  const reference = JSON.parse(execFileSync(python, ["tests/browser/qr_reference.py"], { input: JSON.stringify(INPUTS) }));
  const versions = new Set();
  const masks = new Set();
  INPUTS.forEach((text, i) => {
    const ours = encode(text);
    const theirs = reference[i];
    assert.equal(ours.version, theirs.version, `version of ${JSON.stringify(text)}`);
    assert.equal(ours.mask, theirs.mask, `mask of ${JSON.stringify(text)}`);
    const rows = ours.modules.map((row) => row.map((m) => (m ? "1" : "0")).join(""));
    rows.forEach((row, r) => assert.equal(row, theirs.modules[r], `row ${r} of ${JSON.stringify(text)}`));
    versions.add(ours.version);
    masks.add(ours.mask);
  });
  assert.ok(versions.size >= 6, `several versions covered: ${[...versions]}`);
  assert.ok(masks.size >= 3, `several masks covered: ${[...masks]}`);
  assert.deepEqual([...versions].filter((v) => v >= 7).length > 0, true, "a version with version information");
});

test("qr.js refuses what does not fit version 10", () => {
  assert.throws(() => encode("Q".repeat(214)), RangeError);
});
