// A QR code encoder (ISO/IEC 18004) for the authenticator-app enrolment: byte mode, error
// correction level M, versions 1–10 (up to 213 bytes, plenty for an otpauth:// URI), drawn in
// the page as SVG <rect>s, so the secret never leaves the browser for an image service.
//
// The mask is the one with the lowest penalty under the four rules of §7.8.3.1 (runs of five
// or more, 2×2 blocks, 1:1:3:1:1 finder-like patterns with four light modules, dark/light
// balance), scored the way the reference encoder, Python's `qrcode` package, scores them: on
// the symbol with its format and version information still light. tests/browser/qr.test.mjs
// compares version, mask and every module with that package.
import { svg } from "./dom.js";

// Level M, indexed by version - 1: error-correction codewords per block, and blocks.
const ECC_PER_BLOCK = [10, 16, 26, 18, 24, 16, 18, 22, 22, 26];
const BLOCKS = [1, 1, 1, 2, 2, 4, 4, 4, 5, 5];
const MAX_VERSION = 10;
const FORMAT_M = 0; // the level's two format bits (L = 1, M = 0, Q = 3, H = 2)

/** Modules left for data and error correction once the function patterns are drawn. */
function rawModules(version) {
  let n = (16 * version + 128) * version + 64;
  if (version >= 2) {
    const align = Math.floor(version / 7) + 2;
    n -= (25 * align - 10) * align - 55;
    if (version >= 7) n -= 36;
  }
  return n;
}

const dataCodewords = (v) => Math.floor(rawModules(v) / 8) - ECC_PER_BLOCK[v - 1] * BLOCKS[v - 1];

/** GF(2^8) product modulo x^8 + x^4 + x^3 + x^2 + 1. */
function mul(x, y) {
  let z = 0;
  for (let i = 7; i >= 0; i--) {
    z = (z << 1) ^ ((z >>> 7) * 0x11d);
    z ^= ((y >>> i) & 1) * x;
  }
  return z;
}

/** The Reed–Solomon generator polynomial of `degree` (leading 1 dropped), highest power first. */
function divisor(degree) {
  const result = new Array(degree).fill(0);
  result[degree - 1] = 1;
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < degree; j++) {
      result[j] = mul(result[j], root);
      if (j + 1 < degree) result[j] ^= result[j + 1];
    }
    root = mul(root, 0x02);
  }
  return result;
}

function remainder(data, div) {
  const result = new Array(div.length).fill(0);
  for (const b of data) {
    const factor = b ^ result.shift();
    result.push(0);
    div.forEach((coef, i) => { result[i] ^= mul(coef, factor); });
  }
  return result;
}

/** The data codewords: mode, count, bytes, terminator, padding. */
function codewords(bytes, version) {
  const bits = [];
  const put = (value, length) => { for (let i = length - 1; i >= 0; i--) bits.push((value >>> i) & 1); };
  put(0b0100, 4);
  put(bytes.length, version < 10 ? 8 : 16);
  for (const b of bytes) put(b, 8);
  const capacity = dataCodewords(version) * 8;
  put(0, Math.min(4, capacity - bits.length));
  put(0, (8 - (bits.length % 8)) % 8);
  for (let pad = 0xec; bits.length < capacity; pad ^= 0xec ^ 0x11) put(pad, 8);
  const out = [];
  for (let i = 0; i < bits.length; i += 8) out.push(bits.slice(i, i + 8).reduce((a, b) => (a << 1) | b, 0));
  return out;
}

/** Splits into blocks, adds each block's error correction, interleaves. */
function interleave(data, version) {
  const blocks = BLOCKS[version - 1];
  const ecc = ECC_PER_BLOCK[version - 1];
  const raw = Math.floor(rawModules(version) / 8);
  const shortBlocks = blocks - (raw % blocks);
  const shortLength = Math.floor(raw / blocks);
  const div = divisor(ecc);
  const all = [];
  for (let i = 0, k = 0; i < blocks; i++) {
    const dat = data.slice(k, k + shortLength - ecc + (i < shortBlocks ? 0 : 1));
    k += dat.length;
    const check = remainder(dat, div);
    if (i < shortBlocks) dat.push(0);
    all.push(dat.concat(check));
  }
  const out = [];
  for (let i = 0; i < all[0].length; i++) {
    all.forEach((block, j) => { if (i !== shortLength - ecc || j >= shortBlocks) out.push(block[i]); });
  }
  return out;
}

function alignmentPositions(version) {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const size = version * 4 + 17;
  const step = Math.ceil((version * 4 + 4) / (count * 2 - 2)) * 2;
  const result = [6];
  for (let pos = size - 7; result.length < count; pos -= step) result.splice(1, 0, pos);
  return result;
}

/** BCH(15,5) format bits for level M and `mask`. */
function formatBits(mask) {
  const data = (FORMAT_M << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  return ((data << 10) | rem) ^ 0x5412;
}

/** BCH(18,6) version bits. */
function versionBits(version) {
  let rem = version;
  for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
  return (version << 12) | rem;
}

const MASKS = [
  (r, c) => (r + c) % 2 === 0,
  (r) => r % 2 === 0,
  (r, c) => c % 3 === 0,
  (r, c) => (r + c) % 3 === 0,
  (r, c) => (Math.floor(r / 2) + Math.floor(c / 3)) % 2 === 0,
  (r, c) => ((r * c) % 2) + ((r * c) % 3) === 0,
  (r, c) => (((r * c) % 2) + ((r * c) % 3)) % 2 === 0,
  (r, c) => (((r + c) % 2) + ((r * c) % 3)) % 2 === 0,
];

/**
 * The symbol for `version` with `mask`: rows of booleans (true = dark). With `draft` the
 * format and version information (and the dark module) stay light, as the mask is scored.
 */
function symbol(version, data, mask, draft) {
  const size = version * 4 + 17;
  const dark = Array.from({ length: size }, () => new Array(size).fill(false));
  const fixed = Array.from({ length: size }, () => new Array(size).fill(false));
  const set = (r, c, on) => { dark[r][c] = on; fixed[r][c] = true; };
  for (let i = 0; i < size; i++) {
    set(6, i, i % 2 === 0);
    set(i, 6, i % 2 === 0);
  }
  for (const [r0, c0] of [[3, 3], [3, size - 4], [size - 4, 3]]) {
    for (let dr = -4; dr <= 4; dr++) {
      for (let dc = -4; dc <= 4; dc++) {
        const r = r0 + dr, c = c0 + dc;
        const d = Math.max(Math.abs(dr), Math.abs(dc));
        if (r >= 0 && r < size && c >= 0 && c < size) set(r, c, d !== 2 && d !== 4);
      }
    }
  }
  const align = alignmentPositions(version);
  align.forEach((r0, i) => align.forEach((c0, j) => {
    const last = align.length - 1;
    if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) return;
    for (let dr = -2; dr <= 2; dr++) for (let dc = -2; dc <= 2; dc++) set(r0 + dr, c0 + dc, Math.max(Math.abs(dr), Math.abs(dc)) !== 1);
  }));
  // Format information: bit i of the 15, in both copies, and the dark module.
  const format = formatBits(mask);
  const bit = (bits, i) => !draft && ((bits >>> i) & 1) === 1;
  for (let i = 0; i < 15; i++) {
    const on = bit(format, i);
    set(i < 6 ? i : i < 8 ? i + 1 : size - 15 + i, 8, on);
    set(8, i < 8 ? size - 1 - i : i < 9 ? 15 - i : 14 - i, on);
  }
  set(size - 8, 8, !draft);
  if (version >= 7) {
    const bits = versionBits(version);
    for (let i = 0; i < 18; i++) {
      const on = bit(bits, i);
      set(Math.floor(i / 3), size - 11 + (i % 3), on);
      set(size - 11 + (i % 3), Math.floor(i / 3), on);
    }
  }
  // Data, in two-module columns from the right, zig-zagging up and down, masked.
  let i = 0;
  const total = data.length * 8;
  for (let right = size - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;
    const upward = ((right + 1) & 2) === 0;
    for (let v = 0; v < size; v++) {
      const r = upward ? size - 1 - v : v;
      for (let j = 0; j < 2; j++) {
        const c = right - j;
        if (fixed[r][c]) continue;
        const on = i < total && ((data[i >>> 3] >>> (7 - (i & 7))) & 1) === 1;
        i++;
        dark[r][c] = on !== MASKS[mask](r, c);
      }
    }
  }
  return dark;
}

/** The §7.8.3.1 penalty of a symbol (rows of booleans). */
export function penalty(m) {
  const n = m.length;
  const at = (vertical) => (a, b) => (vertical ? m[b][a] : m[a][b]);
  let score = 0;
  for (const get of [at(false), at(true)]) {
    for (let a = 0; a < n; a++) {
      // N1: a run of 5 + k modules of one colour scores 3 + k.
      let run = 1;
      for (let b = 1; b <= n; b++) {
        if (b < n && get(a, b) === get(a, b - 1)) run++;
        else {
          if (run >= 5) score += run - 2;
          run = 1;
        }
      }
      // N3: 1:1:3:1:1 dark:light:dark:light:dark with 4 light modules before or after.
      for (let b = 0; b + 10 < n; b++) {
        const w = (k) => get(a, b + k);
        if (!w(1) && w(4) && !w(5) && w(6) && !w(9) &&
            ((w(0) && w(2) && w(3) && !w(7) && !w(8) && !w(10)) ||
             (!w(0) && !w(2) && !w(3) && w(7) && w(8) && w(10)))) score += 40;
      }
    }
  }
  // N2: each 2×2 block of one colour.
  for (let r = 0; r + 1 < n; r++) {
    for (let c = 0; c + 1 < n; c++) {
      const v = m[r][c];
      if (m[r][c + 1] === v && m[r + 1][c] === v && m[r + 1][c + 1] === v) score += 3;
    }
  }
  // N4: 10 for each full 5% the dark share departs from 50%.
  const darkCount = m.reduce((s, row) => s + row.filter(Boolean).length, 0);
  score += Math.trunc(Math.abs((darkCount / (n * n)) * 100 - 50) / 5) * 10;
  return score;
}

/**
 * Encodes `text` (UTF-8) in byte mode at level M: {version, mask, size, modules}, modules
 * being rows of booleans (true = dark), without the quiet zone. `options.mask` forces a mask.
 */
export function encode(text, options = {}) {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : Uint8Array.from(text);
  let version = 1;
  while (version <= MAX_VERSION && 4 + (version < 10 ? 8 : 16) + bytes.length * 8 > dataCodewords(version) * 8) version++;
  if (version > MAX_VERSION) throw new RangeError(`${bytes.length} bytes do not fit a version ${MAX_VERSION} QR code`);
  const data = interleave(codewords(bytes, version), version);
  let mask = options.mask;
  if (mask === undefined) {
    let best = Infinity;
    for (let m = 0; m < 8; m++) {
      const score = penalty(symbol(version, data, m, true));
      if (score < best) {
        best = score;
        mask = m;
      }
    }
  }
  const modules = symbol(version, data, mask, false);
  return { version, mask, size: modules.length, modules };
}

/**
 * The QR code of `text` as an <svg> (one <rect> per run of dark modules in a row, a 4-module
 * light quiet zone), labelled `label` for assistive technology.
 */
export function qrSvg(text, label) {
  const { size, modules } = encode(text);
  const full = size + 8;
  const rects = [];
  modules.forEach((row, r) => {
    for (let c = 0; c < size; c++) {
      if (!row[c]) continue;
      let end = c;
      while (end + 1 < size && row[end + 1]) end++;
      rects.push(svg("rect", { x: c + 4, y: r + 4, width: end - c + 1, height: 1 }));
      c = end;
    }
  });
  return svg("svg", { viewBox: `0 0 ${full} ${full}`, width: full * 5, height: full * 5, role: "img", "aria-label": label,
    class: "qr", "shape-rendering": "crispEdges" },
  svg("rect", { width: full, height: full, fill: "#ffffff" }),
  svg("g", { fill: "#000000" }, rects));
}
