import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeCommand, resolveServerCommand } from '../src/common/command';

test('vjepa.path wins, with its arguments', () => {
    assert.deepEqual(resolveServerCommand({ path: ['/opt/v/bin/vjepa-lsp', '--tcp'], interpreter: ['/usr/bin/python3'] }),
        { command: '/opt/v/bin/vjepa-lsp', args: ['--tcp'] });
});

test('an interpreter runs the server module', () => {
    assert.deepEqual(resolveServerCommand({ path: [], interpreter: ['/venv/bin/python', '-X', 'utf8'] }),
        { command: '/venv/bin/python', args: ['-X', 'utf8', '-m', 'server.main'] });
});

test('nothing configured: vjepa-lsp from PATH', () => {
    assert.deepEqual(resolveServerCommand({ path: [], interpreter: [] }), { command: 'vjepa-lsp', args: [] });
});

test('the log shows the command quoted where needed', () => {
    assert.equal(describeCommand({ command: '/my tools/python', args: ['-m', 'server.main'] }), '"/my tools/python" -m server.main');
});
