import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { graphCsp, graphFile, LINK_SHIM, realpathOrSelf, resolveOpenRequest, webviewHtml } from '../src/common/graph';

const PAGE = [
    '<!doctype html><html><head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'">`,
    '<style>body{margin:0}</style></head><body>',
    '<script id="vjepa-data" type="application/json">{"nodes":[{"p":"<script>x.py"}],"s":"<\\/script>"}</script>',
    '<script>\nvar a = "<script>";\n</script>',
    '<script src="https://example.invalid/x.js"></script>',
    '</body></html>',
].join('\n');

test('the webview page gets our CSP instead of its own, with the nonce on its inline scripts only', () => {
    const html = webviewHtml(PAGE, 'abc123');
    const csps = html.match(/http-equiv="Content-Security-Policy" content="([^"]*)"/g) ?? [];
    assert.equal(csps.length, 1, html);
    assert.ok(html.includes(`content="${graphCsp('abc123')}"`));
    assert.match(graphCsp('abc123'), /^default-src 'none'; script-src 'nonce-abc123'; /);
    assert.doesNotMatch(graphCsp('abc123'), /unsafe-eval|script-src[^;]*unsafe-inline|https?:/);
    assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<style>'), 'the CSP comes first in <head>');
    assert.ok(html.includes('<script nonce="abc123" id="vjepa-data" type="application/json">{"nodes":[{"p":"<script>x.py"}]'));
    assert.ok(html.includes('<script nonce="abc123">\nvar a = "<script>";\n</script>'), html);
    assert.ok(html.includes('<script src="https://example.invalid/x.js"></script>'), 'a src script gets no nonce');
    assert.equal((html.match(/nonce="abc123"/g) ?? []).length, 3);
    assert.ok(html.includes(`<script nonce="abc123">${LINK_SHIM}</script>`), 'the link shim runs first, with the nonce');
});

test('a page without a head still gets the CSP first; a bad nonce is refused', () => {
    assert.ok(webviewHtml('<p>hi</p>', 'n0nce').startsWith('<meta http-equiv="Content-Security-Policy"'));
    assert.throws(() => webviewHtml(PAGE, '"><script>'), /bad nonce/);
});

test("the real page template keeps one CSP, and its scripts (and the link shim) carry the nonce", () => {
    const template = path.join(process.env.VJEPA_REPO_ROOT ?? path.resolve(__dirname, '../../../..'), 'vjepa_core/insights/assets/graph.html');
    const html = webviewHtml(fs.readFileSync(template, 'utf8'), 'Zm9v');
    assert.equal((html.match(/Content-Security-Policy/g) ?? []).length, 1);
    assert.equal((html.match(/<script nonce="Zm9v"/g) ?? []).length, 3);
    assert.ok(!html.includes("script-src 'unsafe-inline'"));
});

test('the graph file comes from the result path, else its file uri', () => {
    assert.equal(graphFile({ path: '/i/graph.html', uri: 'file:///other.html' }), '/i/graph.html');
    assert.equal(graphFile({ uri: pathToFileURL('/i/g r.html').toString() }), '/i/g r.html');
    assert.equal(graphFile({ uri: 'https://example.invalid/g.html' }), undefined);
    assert.equal(graphFile(['/i/graph.html']), undefined);
    assert.equal(graphFile(null), undefined);
});

test('open requests resolve inside the folder; anything else is refused or ignored', () => {
    const root = '/w/repo';
    assert.deepEqual(resolveOpenRequest({ command: 'open', path: '/w/repo/src/a.py', relative: 'src/a.py' }, root),
        { ok: true, path: '/w/repo/src/a.py', relative: 'src/a.py' });
    assert.deepEqual(resolveOpenRequest({ command: 'open', path: 'tests/test_a.py' }, root),
        { ok: true, path: '/w/repo/tests/test_a.py', relative: 'tests/test_a.py' });
    for (const p of ['/etc/passwd', '../other/x.py', 'a/../../x.py', '/w/repo', '/w/repo-2/x.py']) {
        assert.deepEqual(resolveOpenRequest({ command: 'open', path: p }, root), { ok: false, reason: 'outside', path: p }, p);
    }
    for (const m of [null, 'open', { command: 'select', path: 'a.py' }, { command: 'open' }, { command: 'open', path: 3 },
        { command: 'open', path: 'a\0.py' }, { type: 'vjepa.open', path: 'a.py' }]) {
        assert.deepEqual(resolveOpenRequest(m, root), { ok: false, reason: 'not-open' }, JSON.stringify(m));
    }
});

test('a symlink inside the folder that leads out of it is refused', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vjepa-graph-'));
    try {
        const repo = path.join(tmp, 'repo');
        fs.mkdirSync(repo);
        fs.writeFileSync(path.join(tmp, 'secret.txt'), 'x');
        fs.writeFileSync(path.join(repo, 'a.py'), 'x');
        fs.symlinkSync(path.join(tmp, 'secret.txt'), path.join(repo, 'link.txt'));
        fs.symlinkSync(repo, path.join(tmp, 'alias'));  // the folder itself opened through a symlink
        const real = realpathOrSelf;
        assert.equal(real(path.join(repo, 'missing.py')), path.join(repo, 'missing.py'));
        assert.equal(resolveOpenRequest({ command: 'open', path: 'link.txt' }, repo, real).ok, false);
        const viaAlias = resolveOpenRequest({ command: 'open', path: path.join(repo, 'a.py') }, path.join(tmp, 'alias'), real);
        assert.deepEqual(viaAlias, { ok: true, path: fs.realpathSync(path.join(repo, 'a.py')), relative: 'a.py' });
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
});
