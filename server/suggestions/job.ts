/**
 * A suggestion in a worker thread (the comparisons' threads, see
 * ../comparisons/worker.ts): it takes the period's history page by page from
 * the main thread, as a comparison does, then fits the points with the
 * engine's suggest, all synchronously, so the thread serving requests never
 * runs the fit.
 */
import {
  byCodeUnit,
  loadRuleSetOrThrow,
  OUTCOME_EVENT_TYPES,
  SUGGEST_DEFAULTS,
  SuggestError,
  suggestRuleSet,
  type LeadEvent,
  type RuleSetDefinition,
} from '../../engine/index';
import { receive, type ChannelEnd } from '../comparisons/channel';
import type { EventTuple } from '../comparisons/pages';
import type { PageMessage } from '../comparisons/worker';
import { fittedResult, refusedResult, type HistoryShape, type SuggestionResult } from './result';

/** The options `leadflow suggest` takes, as the API takes them. */
export interface SuggestionOptions {
  holdOut?: number;
  seed?: number;
  l2?: number;
  horizonDays?: number;
  ignore?: string[];
}

/** Main thread → worker: a suggestion to run. */
export interface SuggestionInput {
  kind: 'suggestion';
  /** The version suggested from. */
  definition: RuleSetDefinition;
  /** The name the suggested table is given (the next free version). */
  version: string;
  /** Only leads first seen at or after this time. */
  since?: string;
  /** Events at or after this time were not read. */
  until?: string;
  options: SuggestionOptions;
  /** Where pages of history arrive. */
  pages: ChannelEnd;
}

/** Worker → main thread, for a suggestion. */
export type SuggestionMessage = { type: 'took'; size: number } | { type: 'suggested'; json: string } | { type: 'failed'; message: string };

const WON = OUTCOME_EVENT_TYPES.won;
const OUTCOMES: ReadonlySet<string> = new Set(Object.values(OUTCOME_EVENT_TYPES));

/**
 * The period's history in time order (ties by id, as `leadflow suggest --db`
 * orders it), leaving out leads first seen before `since` as replay does.
 * Pages come lead by lead, so each lead's first event is in the page that
 * holds all of them.
 */
function readHistory(input: SuggestionInput, took: (size: number) => void): LeadEvent[] {
  const since = input.since === undefined ? null : Date.parse(input.since);
  const events: Array<{ event: LeadEvent; time: number }> = [];
  const firstSeen = new Map<string, number>();
  for (;;) {
    const { message } = receive<PageMessage>(input.pages);
    if (!('json' in message)) break;
    const rows = JSON.parse(message.json) as EventTuple[];
    took(rows.length);
    for (const [occurredAt, id, leadId, type, properties] of rows) {
      const time = Date.parse(occurredAt);
      const first = firstSeen.get(leadId) ?? time;
      if (!firstSeen.has(leadId)) firstSeen.set(leadId, time);
      if (since !== null && first < since) continue;
      events.push({ event: { id, leadId, type, occurredAt, properties }, time });
    }
  }
  events.sort((a, b) => a.time - b.time || byCodeUnit(a.event.id, b.event.id));
  return events.map(({ event }) => event);
}

/** Counts of the history, as suggest labels leads: a lead's first outcome, wherever it falls. */
function shapeOf(input: SuggestionInput, events: readonly LeadEvent[]): HistoryShape {
  const outcomes = new Map<string, boolean>();
  const leads = new Set<string>();
  for (const event of events) {
    leads.add(event.leadId);
    if (OUTCOMES.has(event.type) && !outcomes.has(event.leadId)) outcomes.set(event.leadId, event.type === WON);
  }
  const won = [...outcomes.values()].filter(Boolean).length;
  return {
    since: input.since ?? null,
    until: input.until ?? null,
    events: events.length,
    firstEventAt: events[0]?.occurredAt ?? null,
    lastEventAt: events[events.length - 1]?.occurredAt ?? null,
    leads: { total: leads.size, won, lost: outcomes.size - won },
  };
}

/**
 * Reads the history and fits the suggestion; a history suggest refuses is a
 * result with its reason. Throws for anything else (bad options, a replay
 * error), with a message meant for the user.
 */
export function runSuggestionJob(input: SuggestionInput, took: (size: number) => void): SuggestionResult {
  const from = loadRuleSetOrThrow(input.definition);
  const events = readHistory(input, took);
  const shape = shapeOf(input, events);
  const { ignore, ...numbers } = input.options;
  try {
    const suggestion = suggestRuleSet(from, events, {
      version: input.version,
      source: 'the stored history',
      ...numbers,
      ...(ignore && { ignore }),
    });
    return fittedResult(from, shape, suggestion);
  } catch (error) {
    if (!(error instanceof SuggestError)) throw error;
    const horizonDays = input.options.horizonDays ?? SUGGEST_DEFAULTS.horizonDays;
    return refusedResult(from, input.version, shape, horizonDays, { code: error.code, message: error.message });
  }
}
