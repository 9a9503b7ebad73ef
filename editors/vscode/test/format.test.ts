import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asResults, describeStatus, describeTraining, resolveResultPath, statusBar, toPickItems } from '../src/common/format';

test('related files become quick-pick items with their reasons', () => {
    const items = toPickItems([
        { path: 'tests/test_calc.py', score: 0.75, reason: 'temporal', detail: 'changed together in 3 commits' },
        { path: 'util.py', score: 0.5, reason: 'semantic', detail: '' },
    ]);
    assert.deepEqual(items[0], {
        label: 'tests/test_calc.py', description: '$(history) temporal · 0.75',
        detail: 'changed together in 3 commits', path: 'tests/test_calc.py',
    });
    assert.equal(items[1].detail, undefined);
});

test('search hits name the unit and keep its line', () => {
    const [item] = toPickItems([{ path: 'calc.py', score: 0.5, reason: 'text', detail: 'text rank 1', name: 'multiply', line: 5 }]);
    assert.equal(item.label, 'multiply');
    assert.equal(item.description, 'calc.py:5  $(search) text · 0.50');
    assert.equal(item.line, 5);
});

test('results wrapped in {results} are read; malformed entries are dropped', () => {
    assert.equal(asResults({ results: [{ path: 'a.py', score: 1, reason: 'next' }] }).length, 1);
    assert.deepEqual(asResults([null, 3, { path: '' }, { score: 1 }]), []);
    assert.deepEqual(asResults('nope'), []);
});

test('relative result paths resolve against the folder that has them', () => {
    const roots = ['/a', '/b/'];
    assert.equal(resolveResultPath('x.py', roots, (p) => p === '/b/x.py'), '/b/x.py');
    assert.equal(resolveResultPath('x.py', roots, () => false), '/a/x.py');
    assert.equal(resolveResultPath('/abs/x.py', roots, () => false), '/abs/x.py');
    assert.equal(resolveResultPath('x.py', [], () => false), undefined);
});

test('the status bar shows indexing, training and idle', () => {
    assert.equal(statusBar({ state: 'indexing', done: 3, total: 10 }).text, '$(sync~spin) VJEPA 3/10');
    assert.equal(statusBar({ state: 'training', percentage: 39.6 }).text, '$(pulse) VJEPA 40%');
    const idle = statusBar({ state: 'idle', files: 4, units: 12, model: { name: 'default', version: 'x' } });
    assert.equal(idle.text, '$(check) VJEPA');
    assert.equal(idle.tooltip, 'VJEPA is idle: 4 files, 12 units; model: default');
    assert.equal(statusBar(undefined).text, '$(circle-slash) VJEPA');
});

test('the swarm status reads per folder', () => {
    const text = describeStatus({ state: 'idle', folders: [{ root: '/w', indexed: true, files: 4 }] });
    assert.equal(text, 'VJEPA is idle: 4 files\n/w: indexed, 4 files');
});

test('a training run reads as one sentence', () => {
    const result = [{ root: '/w/repo', steps: 2, seconds: 1.234, model: { name: 'workspace', version: 'abcdef0123456789' } }];
    assert.equal(describeTraining(result), 'Trained repo: 2 steps in 1.2 s, model abcdef01.');
    assert.equal(describeTraining([]), 'Nothing to train yet.');
});
