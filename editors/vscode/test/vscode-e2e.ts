// In a real VS Code: installs the built .vsix into code-server (VS Code 1.100.3 served to a browser),
// opens a fixture git workspace and drives it with headless Chromium through playwright-core.
// Run with `npm run e2e` (not part of `npm test`: it needs code-server, see docs/editors.md):
//   bash ../../../shared/tools/install-code-server.sh .e2e/vscode-host   # once
//   VJEPA_PYTHON=/path/to/python npm run e2e
// Environment: CODE_SERVER (default .e2e/vscode-host/node_modules/.bin/code-server),
// CHROMIUM (default /usr/bin/chromium), VJEPA_SCREENSHOTS (folder for the screenshots; default
// ../../docs). Exits 0 when every check passed.

import assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, Frame, Page } from 'playwright-core';

const HERE = path.resolve(__dirname, '../..'); // editors/vscode (this file runs from out/e2e/)
const ROOT = path.resolve(HERE, '../..');
const CODE_SERVER = process.env.CODE_SERVER ?? path.join(HERE, '.e2e/vscode-host/node_modules/.bin/code-server');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = process.env.VJEPA_SCREENSHOTS ?? path.join(ROOT, 'docs');
const PYTHON = process.env.VJEPA_PYTHON ?? 'python3';
const VSIX = path.join(HERE, 'vjepa-swarm.vsix');
const CALC = 'def add(a, b):\n    return a + b\n\n\ndef multiply_numbers(a, b):\n    return a * b\n';

function git(repo: string, ...args: string[]): void {
    execFileSync('git', ['-C', repo, ...args], {
        env: { ...process.env, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T',
            GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_GLOBAL: os.devNull, GIT_CONFIG_SYSTEM: os.devNull },
    });
}

function fixture(repo: string): void {
    fs.mkdirSync(repo, { recursive: true });
    git(repo, 'init', '-q', '-b', 'main');
    const commit = (message: string, files: Record<string, string>) => {
        for (const [rel, text] of Object.entries(files)) {
            fs.mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
            fs.writeFileSync(path.join(repo, rel), text);
            git(repo, 'add', '--', rel);
        }
        git(repo, 'commit', '-q', '-m', message);
    };
    commit('init', { 'calc.py': CALC, 'notes.md': '# Notes\n\nAbout the project.\n', 'util.py': 'def helper():\n    return 1\n' });
    for (let i = 0; i < 3; i++) {
        commit(`change ${i}`, { 'calc.py': `${CALC}\nVERSION = ${i}\n`,
            'tests/test_calc.py': `from calc import add\n\n\ndef test_add():\n    assert add(1, ${i}) == ${1 + i}\n` });
    }
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.listen(0, '127.0.0.1', () => {
            const { port } = srv.address() as net.AddressInfo;
            srv.close(() => resolve(port));
        });
        srv.on('error', reject);
    });
}

async function waitForHttp(url: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
        try {
            if ((await fetch(url)).status < 500) {
                return;
            }
        } catch {
            // not up yet
        }
        if (Date.now() > deadline) {
            throw new Error(`code-server did not answer at ${url}`);
        }
        await new Promise((r) => setTimeout(r, 250));
    }
}

async function palette(page: Page, command: string): Promise<void> {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${command}`);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: command }).first().waitFor();
    await page.keyboard.press('Enter');
}

/** The frame (webviews are nested iframes) where `selector` shows up. */
async function frameWith(page: Page, selector: string, ms: number): Promise<Frame> {
    const deadline = Date.now() + ms;
    for (;;) {
        for (const frame of page.frames()) {
            if (await frame.locator(selector).count().catch(() => 0)) {
                return frame;
            }
        }
        if (Date.now() > deadline) {
            throw new Error(`no frame shows ${selector}`);
        }
        await new Promise((r) => setTimeout(r, 250));
    }
}

async function main(): Promise<void> {
    assert.ok(fs.existsSync(CODE_SERVER), `no code-server at ${CODE_SERVER}: run bash ../../../shared/tools/install-code-server.sh .e2e/vscode-host`);
    assert.ok(fs.existsSync(VSIX), 'no vjepa-swarm.vsix: npm run package first (npm run e2e does)');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vjepa-code-server-'));
    const repo = path.join(tmp, 'repo');
    fixture(repo);
    const userData = path.join(tmp, 'user-data');
    const extensions = path.join(tmp, 'extensions');
    fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
    fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({
        'security.workspace.trust.enabled': false,
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'vjepa.interpreter': [PYTHON],
        'vjepa.trustWorkspace': true,
        'vjepa.kindMessages': false,
        'vjepa.indexDir': path.join(tmp, 'index'),
    }, null, 2));
    const env = { ...process.env, PYTHONPATH: ROOT, XDG_DATA_HOME: path.join(tmp, 'data') };
    const common = ['--user-data-dir', userData, '--extensions-dir', extensions];
    execFileSync(CODE_SERVER, [...common, '--install-extension', VSIX], { env, stdio: 'inherit' });

    const port = await freePort();
    let server: ChildProcess | undefined;
    let log = '';
    const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--disable-background-networking', '--no-sandbox', '--disable-dev-shm-usage'],
    });
    try {
        server = spawn(CODE_SERVER, [...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
            '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', repo],
        { env, stdio: ['ignore', 'pipe', 'pipe'] });
        server.stdout!.on('data', (c) => { log += c; });
        server.stderr!.on('data', (c) => { log += c; });
        await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000);

        const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
        await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(repo)}`);
        await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });

        // Open calc.py from the explorer; the lenses render above its first line once indexed.
        const calc = page.locator('.explorer-folders-view .monaco-list-row', {
            has: page.locator('.label-name', { hasText: /^calc\.py$/ }),
        });
        await calc.click();
        const lens = page.locator('.codelens-decoration a', { hasText: 'Related: tests/test_calc.py' });
        await lens.waitFor({ timeout: 120_000 });
        const titles = await page.locator('.codelens-decoration a').allInnerTexts();
        console.log('lenses:', titles.join(' | '));
        assert.ok(titles.some((t) => t.startsWith('Next: ')), titles.join(' | '));

        // The status bar item says the server is idle.
        await page.locator('.statusbar-item', { hasText: 'VJEPA' }).locator('.codicon-check').first()
            .waitFor({ timeout: 60_000 });
        fs.mkdirSync(SHOTS, { recursive: true });
        await page.screenshot({ path: path.join(SHOTS, 'vscode-lenses.png') });

        // Clicking the lens opens the co-changed file (window/showDocument).
        await lens.click();
        await page.locator('.tab.active', { hasText: 'test_calc.py' }).waitFor({ timeout: 30_000 });

        // "VJEPA: Show Related Files" on calc.py lists the co-changed file with its reason.
        await calc.click(); // the lens replaced calc.py's preview tab
        await page.locator('.tab.active .label-name', { hasText: /^calc\.py$/ }).waitFor();
        await palette(page, 'VJEPA: Show Related Files');
        const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'tests/test_calc.py' });
        await row.first().waitFor({ timeout: 30_000 });
        const rows = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
        console.log('related:', rows.map((r) => r.replace(/\s+/g, ' ')).join(' | '));
        assert.match(rows[0], /tests\/test_calc\.py/);
        assert.match(rows[0], /temporal/);
        await page.screenshot({ path: path.join(SHOTS, 'vscode-related.png') });
        await page.keyboard.press('Enter');
        await page.locator('.tab.active', { hasText: 'test_calc.py' }).waitFor({ timeout: 30_000 });

        // "VJEPA: Show Knowledge Graph": the page's script runs in the webview under the extension's
        // CSP (body[data-ready="1"] is set by graph.js), and its Open link opens the file beside it.
        await palette(page, 'VJEPA: Show Knowledge Graph');
        const graph = await frameWith(page, 'body[data-ready="1"] canvas#graph', 60_000);
        const files = await graph.locator('#stat-nodes').innerText();
        console.log('graph:', (await graph.locator('#stats').innerText()).replace(/\s+/g, ' '));
        assert.equal(files, '4');
        await graph.locator('#search').fill('test_calc');
        await graph.locator('#search').press('Enter');
        await graph.locator('#open-link').waitFor();
        await page.screenshot({ path: path.join(SHOTS, 'vscode-graph.png') });
        const openCalcTest = page.locator('.tab.active', { hasText: 'test_calc.py' });
        assert.equal(await openCalcTest.count(), 0);
        await graph.locator('#open-link').click();
        // The file opens beside the graph (editor group 2), the graph stays where it was.
        await page.locator('.tab.active[aria-label*="Editor Group 2"]', { hasText: 'test_calc.py' }).waitFor({ timeout: 30_000 });
        // ... and nothing else tries to open it (VS Code's webview host would follow the page's vscode:// link).
        await new Promise((r) => setTimeout(r, 1000));
        assert.equal(await page.locator('.monaco-dialog-box').count(), 0, 'no "Unable to open" dialog');
        assert.equal(await page.locator('.tab.active', { hasText: 'VJEPA graph: repo' }).count(), 1, 'the graph stays in its group');

        // "VJEPA: Show Insights": a Markdown preview with the summary and the two sections.
        await palette(page, 'VJEPA: Show Insights');
        const insights = await frameWith(page, 'h1:has-text("VJEPA insights: repo")', 60_000);
        const headings = await insights.locator('h2').allInnerTexts();
        console.log('insights:', headings.join(' | '));
        assert.deepEqual(headings, ['How you work', 'Tidying ideas']);
        await page.screenshot({ path: path.join(SHOTS, 'vscode-insights.png') });
        console.log('code-server end-to-end: all checks passed');
    } catch (err) {
        console.error(log.slice(-4000));
        throw err;
    } finally {
        await browser.close();
        server?.kill();
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
