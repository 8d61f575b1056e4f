/**
 * The server's problems with a draft in the user's words: the validator's
 * standard messages ("Too small: expected array to have >=1 items") become
 * plain, translated sentences; any other message is shown as the server wrote it.
 */
import type { FieldError } from '../api';
import type { Translate } from '../i18n/translate';

const PATTERNS: ReadonlyArray<{ pattern: RegExp; say: (t: Translate, match: RegExpExecArray, path: string) => string }> = [
  {
    pattern: /^(Too small: expected array to have >=?1 items?|an engagement rule needs the event types it applies to)$/,
    say: (t, _, path) => (/(^|\.)on$/.test(path) ? t('problem.chooseEventType') : t('problem.chooseOne')),
  },
  { pattern: /^Too small: expected string to have >=?1 characters?$/, say: (t) => t('problem.required') },
  { pattern: /^Too small: expected number to be >=(-?[\d.]+)$/, say: (t, m) => t('problem.atLeast', { min: m[1]! }) },
  { pattern: /^Too small: expected number to be >(-?[\d.]+)$/, say: (t, m) => t('problem.above', { min: m[1]! }) },
  { pattern: /^Too big: expected number to be <=(-?[\d.]+)$/, say: (t, m) => t('problem.atMost', { max: m[1]! }) },
  { pattern: /^Invalid input: expected number, received \w+$/, say: (t) => t('check.notANumber') },
  { pattern: /^Invalid input: expected int, received number$/, say: (t) => t('problem.wholeNumber') },
];

/** One problem's message in words. */
export function problemMessage(problem: FieldError, t: Translate): string {
  for (const { pattern, say } of PATTERNS) {
    const match = pattern.exec(problem.message);
    if (match) return say(t, match, problem.path);
  }
  return problem.message;
}
