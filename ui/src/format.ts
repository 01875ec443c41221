/** Numbers and times as people read them. */
export const ago = (at: number, now = Date.now()): string => {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
};

export const duration = (ms: number): string => {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  return m < 60
    ? `${m}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, "0")}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
};

export const time = (at: number): string => new Date(at).toLocaleTimeString();

export const cpu = (millis: number): string =>
  millis >= 1000 ? `${(millis / 1000).toFixed(millis % 1000 === 0 ? 0 : 1)} cores` : `${millis}m`;

export const memory = (mb: number): string =>
  mb >= 1024 ? `${(mb / 1024).toFixed(1)} GiB` : `${Math.round(mb)} MiB`;

export const rate = (perSecond: number): string => `${perSecond.toFixed(perSecond < 10 ? 1 : 0)}/s`;
