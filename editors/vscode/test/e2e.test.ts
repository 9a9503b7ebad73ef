// End to end without VS Code: the real `vjepa-lsp`, started the way the extension starts it
// (resolveServerCommand + toInitializationOptions), spoken to over stdio with the protocol library
// vscode-languageclient is built on, on a real git workspace in a temp folder.
// VJEPA_PYTHON names the interpreter with vjepa-swarm installed (tests/test_vscode.py sets it).

import assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
    CodeLens, CodeLensRequest, createProtocolConnection, ExecuteCommandRequest, InitializeRequest,
    ProtocolConnection, StreamMessageReader, StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { resolveServerCommand } from '../src/common/command';
import { describeTraining, statusBar, toPickItems } from '../src/common/format';
import { graphFile, realpathOrSelf as realpath, resolveOpenRequest, webviewHtml } from '../src/common/graph';
import { escapeMarkdown, insightsMarkdown } from '../src/common/insights';
import { DEFAULTS, toInitializationOptions } from '../src/common/settings';

const ROOT = process.env.VJEPA_REPO_ROOT ?? path.resolve(__dirname, '../../../..');
const CALC = 'def add(a, b):\n    return a + b\n\n\ndef multiply_numbers(a, b):\n    return a * b\n';

let tmp: string;
let repo: string;
let server: ChildProcess;
let connection: ProtocolConnection;
const shown: string[] = [];
const statuses: unknown[] = [];
let stderr = '';
let serverCommands: string[] = [];

function git(...args: string[]): void {
    execFileSync('git', ['-C', repo, ...args], {
        env: { ...process.env, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T',
            GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_GLOBAL: os.devNull, GIT_CONFIG_SYSTEM: os.devNull },
    });
}

function commit(message: string, files: Record<string, string>): void {
    for (const [rel, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
        fs.writeFileSync(path.join(repo, rel), text);
        git('add', '--', rel);
    }
    git('commit', '-q', '-m', message);
}

const uri = (rel: string) => pathToFileURL(path.join(repo, rel)).toString();
const run = (command: string, ...args: unknown[]) => connection.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });

async function until(condition: () => Promise<boolean> | boolean, what: string, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await condition())) {
        if (Date.now() > deadline) {
            throw new Error(`timed out waiting for ${what}; server said: ${stderr.slice(-2000)}`);
        }
        await new Promise((r) => setTimeout(r, 100));
    }
}

before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vjepa-vscode-'));
    repo = path.join(tmp, 'repo');
    fs.mkdirSync(repo);
    git('init', '-q', '-b', 'main');
    commit('init', { 'calc.py': CALC, 'notes.md': '# Notes\n\nAbout the project.\n', 'util.py': 'def helper():\n    return 1\n' });
    for (let i = 0; i < 3; i++) {
        commit(`change ${i}`, { 'calc.py': `${CALC}\nVERSION = ${i}\n`,
            'tests/test_calc.py': `from calc import add\n\n\ndef test_add():\n    assert add(1, ${i}) == ${1 + i}\n` });
    }

    const cmd = resolveServerCommand({ path: [], interpreter: [process.env.VJEPA_PYTHON ?? 'python3'] });
    server = spawn(cmd.command, cmd.args, {
        cwd: ROOT,
        env: { ...process.env, PYTHONPATH: ROOT, XDG_DATA_HOME: path.join(tmp, 'data') },
        stdio: ['pipe', 'pipe', 'pipe'],
    });
    server.stderr!.on('data', (chunk) => { stderr += chunk; });
    connection = createProtocolConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
    // What VS Code answers to the server's requests.
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onRequest('workspace/codeLens/refresh', () => null);
    connection.onRequest('window/showDocument', (params: { uri: string }) => {
        shown.push(params.uri);
        return { success: true };
    });
    connection.onNotification('vjepa/status', (params: unknown) => { statuses.push(params); });
    connection.listen();

    const settings = { ...DEFAULTS, trustWorkspace: true, kindMessages: false, indexDir: '${workspaceFolder}/../index' };
    const init = await connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: pathToFileURL(repo).toString(),
        workspaceFolders: [{ uri: pathToFileURL(repo).toString(), name: 'repo' }],
        capabilities: {
            window: { workDoneProgress: true, showDocument: { support: true } },
            workspace: { codeLens: { refreshSupport: true }, workspaceFolders: true },
            textDocument: { codeLens: { dynamicRegistration: false } },
        },
        // trainSteps (not a VS Code setting) keeps Train Now short here.
        initializationOptions: { ...toInitializationOptions(settings, { home: os.homedir(), workspaceFolder: repo, workspaceTrusted: true }), trainSteps: 2 },
    });
    serverCommands = init.capabilities.executeCommandProvider?.commands ?? [];
    connection.sendNotification('initialized', {});
    await until(async () => {
        const status = (await run('vjepa.status')) as { folders?: { indexed: boolean }[] };
        return status.folders?.[0]?.indexed === true;
    }, 'the first index');
});

after(async () => {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    try {
        await connection.sendRequest('shutdown');
        await connection.sendNotification('exit');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    } finally {
        connection.dispose();
        if (server.exitCode === null) {
            server.kill();
        }
        fs.rmSync(tmp, { recursive: true, force: true });
    }
});

test('the index went where indexDir (with ${workspaceFolder}) says', () => {
    assert.ok(fs.existsSync(path.join(tmp, 'index')));
});

test('code lenses at the top of the file name the co-changed file and open it', async () => {
    const ask = async () => (await connection.sendRequest(CodeLensRequest.type, { textDocument: { uri: uri('calc.py') } })) as CodeLens[];
    // The Next lens comes from a cache the server fills just after the index (then it asks for a lens refresh).
    await until(async () => (await ask()).some((l) => l.command?.title.startsWith('Next: ')), 'the Next lens', 30_000);
    const lenses = await ask();
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.equal(titles[0], 'Related: tests/test_calc.py');
    assert.ok(titles.filter((t) => !t.startsWith('Next: ')).length <= 3, JSON.stringify(titles));
    assert.ok(titles.includes('Next: tests/test_calc.py'), JSON.stringify(titles));
    assert.ok(lenses.every((l) => l.range.start.line === 0));
    // Clicking a lens runs its command through the client: the server asks VS Code to show the file.
    const lens = lenses[0].command!;
    await run(lens.command, ...(lens.arguments ?? []));
    assert.deepEqual(shown, [uri('tests/test_calc.py')]);
});

test('Show Related Files lists the co-changed file first, with its reason', async () => {
    const items = toPickItems(await run('vjepa.relatedFiles', uri('calc.py')));
    assert.equal(items[0].label, 'tests/test_calc.py');
    assert.match(items[0].description, /^\$\(history\) temporal · /);
    assert.match(items[0].detail ?? '', /3 commits/);
});

test('Semantic Search jumps to the unit', async () => {
    const items = toPickItems(await run('vjepa.search', 'multiply numbers'));
    const hit = items.find((i) => i.label === 'multiply_numbers');
    assert.ok(hit, JSON.stringify(items));
    assert.equal(hit.path, 'calc.py');
    assert.equal(hit.line, 5);
});

test('Predict Next File offers files to open next', async () => {
    const items = toPickItems(await run('vjepa.predictNext', uri('calc.py')));
    assert.ok(items.length > 0);
    assert.ok(items.some((i) => i.path === 'tests/test_calc.py'), JSON.stringify(items));
});

test('the status bar is fed by vjepa/status and ends idle', async () => {
    await until(() => statuses.length > 0, 'a vjepa/status notification', 10_000);
    const last = statuses[statuses.length - 1];
    assert.equal(statusBar(last).text, '$(check) VJEPA');
    assert.match(statusBar(last).tooltip, /^VJEPA is idle: 4 files/);
});

test('Train Now trains on the workspace and the status goes training, then idle', async () => {
    const said = describeTraining(await run('vjepa.trainNow'));
    assert.match(said, /^Trained repo: 2 steps in [\d.]+ s, model [0-9a-f]{8}\.$/);
    const states = statuses.map((s) => (s as { state: string }).state);
    assert.ok(states.includes('training'), states.join(','));
    await until(() => (statuses[statuses.length - 1] as { state: string }).state === 'idle', 'idle after training', 10_000);
    assert.match(statusBar(statuses[statuses.length - 1]).tooltip, /model: workspace/);
});

test('a path outside the workspace is refused, and the server keeps serving', async () => {
    await assert.rejects(run('vjepa.relatedFiles', pathToFileURL(path.join(tmp, 'elsewhere.py')).toString()), /outside/);
    assert.equal(toPickItems(await run('vjepa.relatedFiles', uri('calc.py')))[0].path, 'tests/test_calc.py');
});

/** Runs `check` when the server declares `command`; otherwise skips, saying why (a server from before it). */
function withServerCommand(command: string, check: () => Promise<void>) {
    return async (t: { skip: (why: string) => void }) => {
        if (!serverCommands.includes(command)) {
            const why = `the server does not declare ${command} yet (it declares ${serverCommands.join(', ')})`;
            console.log(`skipped: ${why}`);
            t.skip(why);
            return;
        }
        await check();
    };
}

test('Show Knowledge Graph: vjepa.graph writes the page; in the webview only its own script runs and it opens files of the folder only',
    withServerCommand('vjepa.graph', async () => {
        const before = shown.length;
        const result = await run('vjepa.graph', pathToFileURL(repo).toString(), { open: false }) as { shown?: boolean };
        assert.equal(shown.length, before, 'with {open: false} the server does not also open a browser');
        assert.equal(result.shown, false);
        const file = graphFile(result);
        assert.ok(file && fs.existsSync(file), `no graph file: ${file}`);
        const html = webviewHtml(fs.readFileSync(file, 'utf8'), 'dGVzdA==');
        const csp = [...html.matchAll(/http-equiv="Content-Security-Policy" content="([^"]*)"/g)].map((m) => m[1]);
        assert.deepEqual(csp, ["default-src 'none'; script-src 'nonce-dGVzdA=='; style-src 'unsafe-inline'"]);
        const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
        assert.ok(scripts.length >= 2 && scripts.every((s) => s.includes('nonce="dGVzdA=="') && !/\ssrc=/.test(s)), scripts.join(' '));
        const payload = /<script nonce="dGVzdA==" id="vjepa-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
        assert.ok(payload, 'the data block is in the page');
        const data = JSON.parse(payload[1]) as { root: string; nodes: { p: string }[] };
        const paths = data.nodes.map((n) => n.p);
        assert.ok(paths.includes('calc.py') && paths.includes('tests/test_calc.py'), paths.join(','));
        // What the page posts when a node's "Open" is clicked (graph.js openFile), handled as the extension does.
        const message = { command: 'open', path: `${data.root.replace(/\/$/, '')}/tests/test_calc.py`, relative: 'tests/test_calc.py' };
        assert.deepEqual(resolveOpenRequest(message, repo, realpath),
            { ok: true, path: realpath(path.join(repo, 'tests/test_calc.py')), relative: 'tests/test_calc.py' });
        for (const outside of [file, `${data.root}/../elsewhere.py`, '../index']) {
            assert.equal(resolveOpenRequest({ command: 'open', path: outside }, repo, realpath).ok, false, outside);
        }
    }));

test('Show Insights: vjepa.insights reads as Markdown with the summary, habits and tidying ideas',
    withServerCommand('vjepa.insights', async () => {
        const result = (await run('vjepa.insights', pathToFileURL(repo).toString())) as {
            patterns: unknown[]; suggestions: unknown[]; summary: { sentence: string } };
        assert.ok(Array.isArray(result.patterns) && Array.isArray(result.suggestions), JSON.stringify(result).slice(0, 500));
        assert.equal(typeof result.summary.sentence, 'string');
        const md = insightsMarkdown(result);
        assert.match(md, /^# VJEPA insights: repo\n/);
        assert.ok(md.includes(escapeMarkdown(result.summary.sentence || 'Not enough indexed yet')), md);
        assert.ok(md.includes('\n## How you work\n') && md.includes('\n## Tidying ideas\n'), md);
    }));
