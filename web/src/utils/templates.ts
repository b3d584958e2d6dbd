import type { ReplyTemplate, TemplateScene } from '@/api/templates';

// Quick-reply search: every space-separated term must occur in the title or the text (case
// ignored); an empty query matches all. `scene` narrows to one scene.
export function filterTemplates(items: ReplyTemplate[], query: string, scene?: TemplateScene | ''): ReplyTemplate[] {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  return items.filter((t) => {
    if (scene && t.scene !== scene) return false;
    const hay = `${t.title}\n${t.text}`.toLowerCase();
    return terms.every((w) => hay.includes(w));
  });
}

// Templates grouped by scene, in `order`; scenes without a template are left out.
export function groupByScene(items: ReplyTemplate[], order: TemplateScene[]): { scene: TemplateScene; items: ReplyTemplate[] }[] {
  const out: { scene: TemplateScene; items: ReplyTemplate[] }[] = [];
  for (const scene of order) {
    const group = items.filter((t) => t.scene === scene);
    if (group.length) out.push({ scene, items: group });
  }
  return out;
}

// Replaces text[start, end) (a textarea's selection, UTF-16 indices) with `insert`; returns the
// new text and the caret just after the insertion. Out-of-range positions insert at the end.
export function insertAt(text: string, insert: string, start?: number | null, end?: number | null): { text: string; caret: number } {
  const s = start == null || start < 0 || start > text.length ? text.length : start;
  const e = end == null || end < s || end > text.length ? s : end;
  return { text: text.slice(0, s) + insert + text.slice(e), caret: s + insert.length };
}

// The template variables still written as {name} in a reply (known names only), first
// occurrence order, each once: a quick reply whose value was unknown must be filled by hand.
export function unfilledVariables(text: string, names: string[]): string[] {
  const known = new Set(names);
  const out: string[] = [];
  for (const m of text.matchAll(/\{([^{}]+)\}/g)) {
    if (known.has(m[1]) && !out.includes(m[1])) out.push(m[1]);
  }
  return out;
}

export interface TemplatePart {
  text: string;
  variable: boolean;
}

// A template text cut into literal runs and known variables, for display: "{{" and "}}" read as
// single braces, as the server renders them; an unknown {x} stays literal text.
export function templateParts(text: string, names: string[]): TemplatePart[] {
  const known = new Set(names);
  const out: TemplatePart[] = [];
  let lit = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if ((c === '{' || c === '}') && text[i + 1] === c) {
      lit += c;
      i++;
      continue;
    }
    if (c === '{') {
      const close = text.indexOf('}', i + 1);
      const name = close > i ? text.slice(i + 1, close) : '';
      if (known.has(name)) {
        if (lit) out.push({ text: lit, variable: false });
        lit = '';
        out.push({ text: name, variable: true });
        i = close;
        continue;
      }
    }
    lit += c;
  }
  if (lit) out.push({ text: lit, variable: false });
  return out;
}
