/**
 * What each role may do in the editor. The server enforces the same rules;
 * this only decides what to show, hide or disable.
 */
import type { Role, Team } from './api';

export type Action =
  | 'readLeads'
  | 'recordFeedback'
  | 'readKpis'
  | 'preview'
  | 'editRules'
  | 'saveVersion'
  | 'compare'
  | 'suggest'
  | 'readComparisons'
  | 'setChallenger'
  | 'activate'
  | 'approveMarketing'
  | 'approveSales'
  /** Managing API keys and webhook subscriptions, reading the activation history in full. */
  | 'administer';

const ALLOWED: Record<Action, readonly Role[]> = {
  readLeads: ['sales', 'editor'],
  /** Working the sales queue: accepting, rejecting, qualifying, won and lost. */
  recordFeedback: ['sales'],
  readKpis: ['sales', 'editor'],
  preview: ['ingest', 'sales', 'editor'],
  editRules: ['editor'],
  saveVersion: ['editor'],
  compare: ['editor'],
  /** Suggesting points from history (the server allows editors and admins). */
  suggest: ['editor'],
  /** Reading comparisons, and comparing a version under review with the active one. */
  readComparisons: ['sales', 'editor'],
  setChallenger: ['editor'],
  activate: [],
  approveMarketing: ['editor'],
  approveSales: ['sales'],
  administer: [],
};

/** Whether `role` may take `action`; admin may do everything. */
export function can(role: Role | null | undefined, action: Action): boolean {
  if (!role) return false;
  return role === 'admin' || ALLOWED[action].includes(role);
}

/** The approval `role` gives: editors approve for marketing, sales for sales; an admin may give either. */
export function approvableTeams(role: Role | null | undefined): Team[] {
  const teams: Team[] = [];
  if (can(role, 'approveMarketing')) teams.push('marketing');
  if (can(role, 'approveSales')) teams.push('sales');
  return teams;
}
