/**
 * Label and field selectors, parsed the way the API server parses them (a malformed selector is a
 * 400 BadRequest, a field the resource does not index is `field label not supported`).
 */
import { badRequest } from './status.js';

type Labels = Record<string, string> | undefined;

export type LabelRequirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type LabelSelector = LabelRequirement[];

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Split on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${selector}"`);
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!VALUE.test(value) || value.length > 63) throw badRequest(`unable to parse requirement: invalid label value: "${value}" in selector "${selector}"`);
  return value;
}

export function parseLabelSelector(text: string | null | undefined): LabelSelector {
  if (!text) return [];
  return splitTopLevel(text).map((part): LabelRequirement => {
    let m = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
    if (m) {
      const values = (m[3] ?? '').split(',').map((v) => checkValue(v.trim(), text));
      return { op: m[2] as 'in' | 'notin', key: checkKey(m[1] ?? '', text), values };
    }
    m = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (m) {
      return { op: m[2] === '!=' ? 'neq' : 'eq', key: checkKey(m[1] ?? '', text), value: checkValue((m[3] ?? '').trim(), text) };
    }
    m = /^!\s*(\S+)$/.exec(part);
    if (m) return { op: 'notexists', key: checkKey(m[1] ?? '', text) };
    if (/^\S+$/.test(part)) return { op: 'exists', key: checkKey(part, text) };
    throw badRequest(`unable to parse requirement: found '${part}', expected: ',' or 'end of string' in selector "${text}"`);
  });
}

export function matchLabels(selector: LabelSelector, labels: Labels): boolean {
  return selector.every((r) => {
    const has = labels !== undefined && Object.hasOwn(labels, r.key);
    const value = has ? labels[r.key] : undefined;
    switch (r.op) {
      case 'eq':
        return has && value === r.value;
      case 'neq':
        return !has || value !== r.value;
      case 'in':
        return has && r.values.includes(value as string);
      case 'notin':
        return !has || !r.values.includes(value as string);
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
  });
}

/** A Kubernetes LabelSelector object (`matchLabels` + `matchExpressions`) as requirements. */
export function fromSelectorObject(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined): LabelSelector {
  const reqs: LabelSelector = [];
  for (const [key, value] of Object.entries(sel?.matchLabels ?? {})) reqs.push({ op: 'eq', key, value });
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === 'In') reqs.push({ op: 'in', key: e.key, values: e.values ?? [] });
    else if (e.operator === 'NotIn') reqs.push({ op: 'notin', key: e.key, values: e.values ?? [] });
    else if (e.operator === 'Exists') reqs.push({ op: 'exists', key: e.key });
    else if (e.operator === 'DoesNotExist') reqs.push({ op: 'notexists', key: e.key });
  }
  return reqs;
}

export interface FieldRequirement {
  path: string;
  negate: boolean;
  value: string;
}

export type FieldSelector = FieldRequirement[];

/** Parse a field selector; `supported` lists the field labels this resource allows besides metadata.name/namespace. */
export function parseFieldSelector(text: string | null | undefined, supported: string[]): FieldSelector {
  if (!text) return [];
  return splitTopLevel(text).map((part) => {
    const m = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    const path = m[1] ?? '';
    if (path !== 'metadata.name' && path !== 'metadata.namespace' && !supported.includes(path)) {
      throw badRequest(`field label not supported: ${path}`);
    }
    return { path, negate: m[2] === '!=', value: (m[3] ?? '').trim() };
  });
}

function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  // `source` on events means the reporting component.
  if (typeof cur === 'object') return String((cur as Record<string, unknown>).component ?? '');
  return String(cur);
}

export function matchFields(selector: FieldSelector, obj: unknown): boolean {
  return selector.every((r) => (fieldValue(obj, r.path) === r.value) !== r.negate);
}
