/**
 * What is derived on read from a lead's stored events instead of being
 * written with each one (lean writes): each event's explanation, and the
 * lead's stage history and recent activity. The events are folded in history
 * order, each under the rule-set version that evaluated it (stored with it),
 * which is how ingestion applied them: an event stored on arrival was applied
 * to the state the lead's earlier events left, under the version then active,
 * and a recomputation after a late event stored every event again under one
 * version. The fold therefore gives what ingestion computed, explanation for
 * explanation. A row stored before explanations were derived keeps its own,
 * which is returned as it is.
 */
import { applyEvent, type CompiledRuleSet, type Explanation, type LeadEvent, type LeadState } from '../engine/index';
import type { Services } from './context';
import { ApiProblem } from './problem';
import type { StoredEventResult } from './store/index';

/** The compiled rule set of a version; rejects when the version is unknown. */
export type RuleSetOf = (version: string) => Promise<CompiledRuleSet>;

/** What one stored event did, derived. */
export interface DerivedEvent {
  /** Null for an event the rule set skipped. */
  explanation: Explanation | null;
  /** The lead's stage after the event (null while the lead has no state). */
  stage: string | null;
}

export interface DerivedLead {
  /** The lead's full state after its last event, histories included; null when no event was applied. */
  state: LeadState | null;
  /** What each row did, in the rows' order. */
  events: DerivedEvent[];
}

/** A stored event as the fold takes it: the version that evaluated it (null: skipped, or a row from before versions were kept) and its stored explanation (rows from before lean writes). */
export interface StoredResult {
  event: LeadEvent;
  version: string | null;
  stored: Explanation | null;
}

/** The version that evaluated a stored event: the one stored with it, else (a row from before versions were kept) the one its stored explanation names; null when it was skipped. */
function evaluatedBy({ version, stored }: Pick<StoredResult, 'version' | 'stored'>): string | null {
  return version ?? stored?.ruleSetVersion ?? null;
}

/**
 * Folds a lead's stored events, given in history order, each under the
 * version that evaluated it (a row from before versions were kept names it in
 * its stored explanation, which it gives as it is): what each did, and the
 * lead's full state. The shadow comparison's worker derives live explanations
 * with it too.
 */
export function foldStored(items: readonly StoredResult[], ruleSetOf: (version: string) => CompiledRuleSet): DerivedLead {
  let state: LeadState | null = null;
  const events: DerivedEvent[] = [];
  for (const item of items) {
    const { event, stored } = item;
    const by = evaluatedBy(item);
    // An event the rule set did not know changed nothing.
    if (by === null) {
      events.push({ explanation: null, stage: state?.stage ?? null });
      continue;
    }
    const result = applyEvent(ruleSetOf(by), state, event);
    state = result.state;
    events.push({ explanation: stored ?? result.explanation, stage: state.stage });
  }
  return { state, events };
}

/** Derives what a lead's stored events did, and its full state, from the events given in history order (see {@link Queries.leadEvents}). */
export async function deriveLead(rows: readonly StoredEventResult[], ruleSetOf: RuleSetOf): Promise<DerivedLead> {
  const items = rows.map(({ event, version, explanation }) => ({
    event,
    version,
    stored: explanation === null ? null : (JSON.parse(explanation) as Explanation),
  }));
  const ruleSets = new Map<string, CompiledRuleSet>();
  for (const item of items) {
    const by = evaluatedBy(item);
    if (by !== null && !ruleSets.has(by)) ruleSets.set(by, await ruleSetOf(by));
  }
  return foldStored(items, (version) => ruleSets.get(version)!);
}

/** Rule sets by version for {@link deriveLead}: the active and challenger versions in memory, then the rule files. */
export function servicesRuleSets({ activation, files }: Pick<Services, 'activation' | 'files'>): RuleSetOf {
  return async (version) => {
    for (const ruleSet of [activation.active, activation.challenger]) if (ruleSet?.version === version) return ruleSet;
    const ruleSet = await files.get(version);
    if (!ruleSet) {
      throw new ApiProblem(
        500,
        'internal',
        `Rule-set version ${version} evaluated stored events, but its rule file is missing or does not load; ` +
          'restore it from version control (published rule files are never changed or removed).',
      );
    }
    return ruleSet;
  };
}

/** Leads whose derivation is kept (see {@link DerivedLeads}): a lead's events and their fold, some KB to a few MB each. */
export const DERIVED_LEADS_KEPT = 200;

/** A lead's stored events and what they did, as derived from one stored revision of the lead. */
export interface LeadHistory {
  events: StoredEventResult[];
  derived: DerivedLead;
}

/**
 * The derivations of the leads read lately, each kept with the revision of
 * the lead row it was derived for: a lead read again before its next write
 * (the editor's lead page, then its hand-off summary) is neither read nor
 * folded again. Every write of a lead stores a new revision (on any server),
 * so a kept derivation is used only while it is still the stored one. The
 * least recently used leave first.
 */
export class DerivedLeads {
  private readonly entries = new Map<string, { revision: string; history: LeadHistory }>();

  constructor(private readonly capacity = DERIVED_LEADS_KEPT) {}

  /**
   * The lead's history for the stored row `lead` (its id, revision, newest
   * event and count of applied events), from the kept one or from `load`.
   * What `load` returns is kept only when it matches the row: a write between
   * reading the row and reading the events must not be kept under the older revision.
   */
  async get(
    lead: { state: LeadState; revision: string | null; lastEventId: string },
    load: () => Promise<StoredEventResult[]>,
    ruleSetOf: RuleSetOf,
  ): Promise<LeadHistory> {
    const leadId = lead.state.leadId;
    const kept = this.entries.get(leadId);
    if (kept && lead.revision !== null && kept.revision === lead.revision) {
      this.entries.delete(leadId);
      this.entries.set(leadId, kept);
      return kept.history;
    }
    const events = await load();
    const history = { events, derived: await deriveLead(events, ruleSetOf) };
    const matches = events.at(-1)?.event.id === lead.lastEventId && history.derived.state?.eventCount === lead.state.eventCount;
    if (lead.revision !== null && matches) {
      this.entries.delete(leadId);
      this.entries.set(leadId, { revision: lead.revision, history });
      if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    }
    return history;
  }
}
