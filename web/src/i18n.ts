import { createI18n } from 'vue-i18n';

// Text lives in locales/<lang>/<area>.json; keys are "<area>.<key>" (zh-CN is the default).
type Tree = { [k: string]: string | Tree };
const files = import.meta.glob<{ default: Tree }>('./locales/*/*.json', { eager: true });

export function buildMessages(): Record<string, Tree> {
  const out: Record<string, Tree> = {};
  for (const [path, mod] of Object.entries(files)) {
    const m = /\.\/locales\/([^/]+)\/([^/]+)\.json$/.exec(path);
    if (!m) continue;
    (out[m[1]] ??= {})[m[2]] = mod.default;
  }
  return out;
}

export const SUPPORTED = ['zh-CN', 'en-US'] as const;

export const i18n = createI18n({
  legacy: false,
  locale: 'zh-CN',
  fallbackLocale: 'zh-CN',
  messages: buildMessages(),
  missingWarn: false,
  fallbackWarn: false,
});
