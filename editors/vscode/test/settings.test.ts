import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { DEFAULTS, expandPath, readSettings, toInitializationOptions } from '../src/common/settings';

const env = { home: '/home/ada', workspaceFolder: '/work/proj', workspaceTrusted: true };

test('unset settings are the defaults, with no complaints', () => {
    const { settings, problems } = readSettings(() => undefined);
    assert.deepEqual(settings, DEFAULTS);
    assert.deepEqual(problems, []);
});

test('a value of the wrong type falls back to its default and is named', () => {
    const raw: Record<string, unknown> = { idleMinutes: 0, workers: 1.5, kindMessages: 'yes', path: ['vjepa-lsp', ''], indexDir: 3 };
    const { settings, problems } = readSettings((key) => raw[key]);
    assert.equal(settings.idleMinutes, 2);
    assert.equal(settings.workers, 0);
    assert.equal(settings.kindMessages, true);
    assert.deepEqual(settings.path, []);
    assert.equal(settings.indexDir, '');
    assert.equal(problems.length, 5);
    assert.equal(problems[0], 'vjepa.path should be a list of non-empty strings, not ["vjepa-lsp",""]; using [].');
    assert.ok(problems.some((p) => p === 'vjepa.idleMinutes should be a number of minutes above 0, not 0; using 2.'));
});

test('settings map to the server initializationOptions', () => {
    const settings = { ...DEFAULTS, kindMessages: false, idleMinutes: 5, indexDir: '~/indexes', workers: 2, trustWorkspace: true };
    assert.deepEqual(toInitializationOptions(settings, env), {
        trustWorkspace: true, kindMessages: false, idleMinutes: 5, indexDir: '/home/ada/indexes', workers: 2,
    });
});

test('defaults leave indexDir and workers to the server', () => {
    assert.deepEqual(toInitializationOptions(DEFAULTS, env), { trustWorkspace: false, kindMessages: true, idleMinutes: 2 });
});

test('trustWorkspace only counts in a workspace VS Code trusts', () => {
    const settings = { ...DEFAULTS, trustWorkspace: true };
    assert.equal(toInitializationOptions(settings, { ...env, workspaceTrusted: false }).trustWorkspace, false);
});

test('paths expand ~ and ${workspaceFolder}', () => {
    assert.equal(expandPath('${workspaceFolder}/.vjepa', env), '/work/proj/.vjepa');
    assert.equal(expandPath('~', env), '/home/ada');
    assert.equal(expandPath('~other/x', env), '~other/x');
    assert.equal(expandPath('  ', env), '');
});

test('package.json declares every setting with the same default', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8'));
    const declared = manifest.contributes.configuration.properties as Record<string, { default: unknown }>;
    for (const [key, value] of Object.entries(DEFAULTS)) {
        assert.deepEqual(declared[`vjepa.${key}`]?.default, value, key);
    }
});
