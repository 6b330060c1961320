// The participant's texts in the study's language. The server sends them
// with the boot data (its catalogue, with the study's own texts on top) and,
// for the texts shown only inside a step, with that step's fragment, so
// nothing the participant reads is fixed here. t(key, values) fills the
// {placeholders}; with a count n it takes the plural form the language's
// rules pick (Intl.PluralRules: the CLDR rules the server uses too).

import { boot } from './boot.js';

const texts = { ...boot.texts };

// learn adds the texts that come with the session ("session.…") and with a
// step's fragment ("step.…").
export const learn = (more) => Object.assign(texts, more);
const plural = new Intl.PluralRules(boot.lang || 'en');

export function t(key, values = {}) {
  let s = texts[key];
  if ('n' in values) s = texts[`${key}.${plural.select(values.n)}`] ?? texts[`${key}.other`] ?? s;
  if (s === undefined) return key;
  return s.replace(/\{([a-z_]+)\}/g, (m, name) => (name in values ? String(values[name]) : m));
}
