/**
 * @module Parses IP address text (IPv4 dotted quad, IPv6 with optional embedded IPv4) into numbers,
 * and CIDR text into a prefix, so range checks are arithmetic rather than string matching.
 */
import { isIPv4, isIPv6 } from "node:net";

/** An IPv4 address as an unsigned 32-bit number, or an IPv6 address as eight 16-bit groups. */
export type IpAddress =
  | { readonly family: 4; readonly value: number }
  | { readonly family: 6; readonly groups: readonly number[] };

/** Parses canonical address text; returns undefined for anything else, including zone ids. */
export function parseIpAddress(text: string): IpAddress | undefined {
  if (isIPv4(text)) return { family: 4, value: parseIpv4(text) };
  if (text.includes("%") || !isIPv6(text)) return undefined;
  const groups = parseIpv6(text);
  return groups === undefined ? undefined : { family: 6, groups };
}

function parseIpv4(text: string): number {
  let value = 0;
  for (const part of text.split(".")) value = value * 256 + Number(part);
  return value;
}

function parseIpv6(text: string): number[] | undefined {
  let body = text;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  const embedded = text.slice(lastColon + 1);
  if (embedded.includes(".")) {
    if (!isIPv4(embedded)) return undefined;
    const value = parseIpv4(embedded);
    tail.push(Math.floor(value / 65536), value % 65536);
    body = text.slice(0, lastColon + 1);
    if (!body.endsWith("::")) body = body.slice(0, -1);
  }
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  const head = splitGroups(halves[0] ?? "");
  const rest = halves.length === 2 ? splitGroups(halves[1] ?? "") : [];
  if (head === undefined || rest === undefined) return undefined;
  return assemble(head, rest, tail, halves.length === 2);
}

function splitGroups(text: string): number[] | undefined {
  if (text === "") return [];
  const groups: number[] = [];
  for (const part of text.split(":")) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
    groups.push(Number.parseInt(part, 16));
  }
  return groups;
}

function assemble(head: number[], rest: number[], tail: number[], compressed: boolean): number[] | undefined {
  const fill = 8 - head.length - rest.length - tail.length;
  if (fill < 0 || (!compressed && fill !== 0)) return undefined;
  return [...head, ...new Array<number>(fill).fill(0), ...rest, ...tail];
}
