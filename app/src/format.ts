// All times are shown in UTC, as the server's text answer does, and formatted by hand rather than with
// Intl so that the figures a person reads match the text answer whatever the host's locale.

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export const ms = (iso: string): number => Date.parse(iso);

const pad = (n: number): string => String(n).padStart(2, "0");

export function clock(t: number): string {
  const d = new Date(t);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

export function day(t: number): string {
  const d = new Date(t);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
}

export const stamp = (t: number): string => `${day(t)} ${clock(t)}`;

/** "Nov 25 03:00–04:00 UTC", or with both dates when the span crosses midnight. */
export function span(start: number, end: number | null): string {
  if (end === null) return `since ${stamp(start)} UTC, ongoing`;
  const sameDay = day(start) === day(end - 1);
  return `${stamp(start)}–${sameDay ? clock(end) : stamp(end)} UTC`;
}

const group = (digits: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");

export function count(n: number): string {
  return Number.isInteger(n) ? group(String(n)) : String(n);
}

export function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? "" : "s"}`;
}

// Percentages and latencies are written as the server's text answer writes them, so both read alike.
export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction < 0.1 ? 2 : 1)}%`;
}

export function latency(value: number): string {
  const [whole, decimals] = value.toFixed(1).split(".");
  return `${group(whole)}.${decimals} ms`;
}

export function minutes(n: number): string {
  if (n % 1440 === 0) return n === 1440 ? "1-day" : `${n / 1440}-day`;
  if (n % 60 === 0) return `${n / 60}-hour`;
  return `${n}-minute`;
}

export function periodWord(n: number): string {
  if (n === 60) return "hour";
  if (n === 1440) return "day";
  if (n % 60 === 0) return `${n / 60} h`;
  return `${n} min`;
}
