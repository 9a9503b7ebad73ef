// The knowledge-graph page (vjepa_core/insights/assets/graph.*) inside a webview: its own CSP, and the
// page's "open this file" messages checked against the workspace folder. No `vscode` import.

import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath } from 'url';

/** Only the page's own inline scripts (they carry the nonce) run; its inline styles apply; nothing loads. */
export function graphCsp(nonce: string): string {
    return `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'`;
}

/**
 * VS Code's webview host opens every clicked link that has an href itself, even when the page
 * handles the click: the page's `vscode://file/...` fallback links would then fail to open as an
 * editor. Pointing them at "#" leaves the page's own click handler (postMessage) as the only opener.
 */
export const LINK_SHIM = 'new MutationObserver(function () { document.querySelectorAll(\'a[href^="vscode:"]\').forEach('
    + 'function (a) { a.setAttribute("href", "#"); }); }).observe(document.documentElement, { childList: true, subtree: true });';

const PAGE_CSP = /<meta\s+[^>]*http-equiv\s*=\s*["']?content-security-policy["']?[^>]*>/gi;

/**
 * The page with its CSP meta replaced by `graphCsp(nonce)`, then `LINK_SHIM`, and the nonce on each
 * inline `<script>`.
 * Script bodies are skipped, not searched (the page escapes "</" in its data), and a `<script src>`
 * gets no nonce, so it could never run.
 */
export function webviewHtml(page: string, nonce: string): string {
    if (!/^[A-Za-z0-9+/=]+$/.test(nonce)) {
        throw new Error(`bad nonce: ${JSON.stringify(nonce)}`);
    }
    const headEnd = page.search(/<\/head\s*>/i);
    const head = headEnd >= 0 ? page.slice(0, headEnd) : '';
    const meta = `<meta http-equiv="Content-Security-Policy" content="${graphCsp(nonce)}"><script>${LINK_SHIM}</script>`;
    let html = headEnd >= 0 ? head.replace(PAGE_CSP, '') + page.slice(headEnd) : page;
    const headStart = /<head(\s[^>]*)?>/i.exec(html);
    html = headStart
        ? html.slice(0, headStart.index + headStart[0].length) + meta + html.slice(headStart.index + headStart[0].length)
        : meta + html;

    const out: string[] = [];
    const open = /<script\b([^>]*)>/gi;
    let at = 0;
    for (let m = open.exec(html); m; m = open.exec(html)) {
        const attrs = m[1];
        const tag = /\ssrc\s*=/i.test(attrs) ? m[0] : `<script nonce="${nonce}"${attrs}>`;
        out.push(html.slice(at, m.index), tag);
        const close = html.slice(open.lastIndex).search(/<\/script\s*>/i);
        at = close >= 0 ? open.lastIndex + close : html.length;
        out.push(html.slice(open.lastIndex, at));
        open.lastIndex = at;
    }
    out.push(html.slice(at));
    return out.join('');
}

/** The HTML file vjepa.graph wrote: its result's `path`, else its file `uri`. */
export function graphFile(result: unknown): string | undefined {
    if (!result || typeof result !== 'object') {
        return undefined;
    }
    const { path: file, uri } = result as { path?: unknown; uri?: unknown };
    if (typeof file === 'string' && file) {
        return file;
    }
    if (typeof uri === 'string' && uri.startsWith('file:')) {
        try {
            return fileURLToPath(uri);
        } catch {
            return undefined;
        }
    }
    return undefined;
}

/** The real path (symlinks followed), or the path as given when it does not exist. */
export function realpathOrSelf(p: string): string {
    try {
        return fs.realpathSync(p);
    } catch {
        return p;
    }
}

export type OpenRequest =
    | { ok: true; path: string; relative: string }
    | { ok: false; reason: 'not-open' | 'outside'; path?: string };

/**
 * A `{command: "open", path}` message from the page, as a file inside `root`. A relative path is
 * taken against `root`; `realpath` (e.g. fs.realpathSync, falling back to its argument) makes a
 * symlink that leads out of the folder count as outside.
 */
export function resolveOpenRequest(message: unknown, root: string, realpath: (p: string) => string = (p) => p): OpenRequest {
    const m = message as { command?: unknown; path?: unknown };
    if (!m || typeof m !== 'object' || m.command !== 'open' || typeof m.path !== 'string' || !m.path || m.path.includes('\0')) {
        return { ok: false, reason: 'not-open' };
    }
    const base = realpath(path.resolve(root));
    const target = realpath(path.resolve(root, m.path));
    const relative = path.relative(base, target);
    if (!relative || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
        return { ok: false, reason: 'outside', path: m.path };
    }
    return { ok: true, path: target, relative: relative.split(path.sep).join('/') };
}
