import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Activation } from '../../server/activation';
import { KeyRing } from '../../server/auth';
import { RuleFiles } from '../../server/rule-files';
import { SettingsSync } from '../../server/settings-sync';
import { openStore, type SettingsChannel, type Store } from '../../server/store/index';
import { eventually, removeWorkspace, tempWorkspace, type Workspace } from './helpers';

// A server that hears no notice (its listener reconnecting, or none at all)
// still takes up changes made through another server, at its re-check.
const deaf: SettingsChannel = { publish: async () => {}, subscribe: async () => async () => {} };
const now = () => new Date();

let workspace: Workspace;
let mine: Store;
let theirs: Store;
let sync: SettingsSync;
let activation: Activation;

beforeAll(async () => {
  workspace = await tempWorkspace();
  const opened = await openStore(workspace.db);
  mine = { ...opened, settings: deaf, close: () => opened.close() };
  theirs = await openStore(workspace.db);
  activation = await Activation.start(mine, new RuleFiles(workspace.rulesDir), now);
  // After the first start, which would have activated the newest version.
  const v1 = JSON.parse(readFileSync(join(workspace.rulesDir, 'v1.json'), 'utf8'));
  writeFileSync(join(workspace.rulesDir, 'v2.json'), JSON.stringify({ ...v1, version: 'v2', note: 'challenger' }));
  sync = await SettingsSync.start(mine, activation, new KeyRing(mine), pino({ level: 'silent' }), 20);
});
afterAll(async () => {
  await sync.close();
  await mine.close();
  await theirs.close();
  await removeWorkspace(workspace);
});

describe('shared settings without notices', () => {
  it('takes up a challenger set through another server at its next re-check', async () => {
    const other = await Activation.start(theirs, new RuleFiles(workspace.rulesDir), now);
    await other.setChallenger('v2', 'another server', now().toISOString());
    expect(activation.challenger).toBeNull();
    await eventually(async () => activation.challenger?.version === 'v2');
    await other.setChallenger(null, 'another server', now().toISOString());
    await eventually(async () => activation.challenger === null);
    expect(activation.active.version).toBe('v1');
  });
});
