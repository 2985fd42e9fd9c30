// Address and CIDR parsing in the page, for the network-policy editor's per-line report: the
// forms the API takes (src/netpolicy/cidr.rs: dotted-quad IPv4 without leading zeros, any
// textual IPv6 without a zone id, IPv4-mapped IPv6 as IPv4, a bare address as a /32 or /128,
// host bits refused with the network they meant). The server stays authoritative.
const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const V4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);
const PREFIX = /^(0|[1-9]\d{0,2})$/;

function v4(text) {
  return V4.test(text) ? text.split(".").reduce((n, octet) => (n << 8n) | BigInt(octet), 0n) : null;
}

/** An IPv6 address as a 128-bit BigInt, via the URL parser (which refuses zone ids). */
function v6(text) {
  if (!text.includes(":") || text.includes("%")) return null;
  let host;
  try {
    host = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
  const [head, tail] = host.split("::");
  const groups = (part) => (part ? part.split(":") : []);
  const all = tail === undefined ? groups(head)
    : [...groups(head), ...Array(8 - groups(head).length - groups(tail).length).fill("0"), ...groups(tail)];
  return all.reduce((n, group) => (n << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function format(value, bits) {
  if (bits === 32) return [24n, 16n, 8n, 0n].map((shift) => (value >> shift) & 255n).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  return new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1);
}

/** The address and its width, IPv4-mapped IPv6 turned into IPv4 (with `mapped` set). */
function address(text) {
  const four = v4(text);
  if (four !== null) return { value: four, bits: 32 };
  const six = v6(text);
  if (six === null) return null;
  if (six >> 32n === 0xffffn) return { value: six & 0xffffffffn, bits: 32, mapped: true };
  return { value: six, bits: 128 };
}

/**
 * Parses "a.b.c.d/p", "x::y/p" or a bare address. Returns {cidr} in the normalised form, or
 * {error} in words.
 */
export function parseCidr(text) {
  const parts = text.trim().split("/");
  if (parts.length > 2) return { error: `"${text}" has more than one "/"` };
  const [addrText, prefixText] = parts;
  const addr = address(addrText);
  if (!addr) return { error: `"${addrText}" is not an IPv4 or IPv6 address` };
  const full = addr.mapped ? 128 : addr.bits;
  if (prefixText !== undefined && (!PREFIX.test(prefixText) || Number(prefixText) > full)) {
    return { error: `"/${prefixText}" is not a prefix length from 0 to ${full}` };
  }
  let prefix = prefixText === undefined ? full : Number(prefixText);
  if (addr.mapped) {
    if (prefix < 96) return { error: `an IPv4-mapped prefix must be at least /96` };
    prefix -= 96;
  }
  const width = BigInt(addr.bits);
  const mask = ((1n << width) - 1n) ^ ((1n << (width - BigInt(prefix))) - 1n);
  const network = addr.value & mask;
  if (network !== addr.value) {
    return { error: `${text.trim()} has host bits set; did you mean ${format(network, addr.bits)}/${prefix}?` };
  }
  return { cidr: `${format(network, addr.bits)}/${prefix}` };
}

