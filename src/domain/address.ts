/**
 * Which hosts are this machine's loopback: the rule behind every "only on loopback" decision
 * (running without API auth, the `Host` check, the CLI sending the local admin token).
 *
 * Loopback: `localhost` and its subdomains (RFC 6761), 127.0.0.0/8, and ::1 (bracketed or not,
 * and its IPv4-mapped form). Anything else — 0.0.0.0, a LAN address, a name — may be reached
 * from elsewhere.
 */

const v4Loopback = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export const isLoopbackHost = (host: string): boolean => {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = v4Loopback.exec(h.startsWith("::ffff:") ? h.slice(7) : h);
  return v4 !== null && v4.slice(1).every((n) => Number(n) <= 255);
};

/** The host of `host:port` or `[v6]:port` (a Host header, a listen address). */
export const hostOf = (address: string): string => {
  if (address.startsWith("[")) {
    const end = address.indexOf("]");
    return end < 0 ? address : address.slice(0, end + 1);
  }
  const colon = address.lastIndexOf(":");
  // More than one colon and no brackets: a bare IPv6 address without a port.
  return colon < 0 || address.indexOf(":") !== colon ? address : address.slice(0, colon);
};
