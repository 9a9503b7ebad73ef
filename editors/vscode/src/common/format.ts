// Server results and status, turned into quick-pick items and status-bar text. No `vscode` import.

/** One result of vjepa.relatedFiles / vjepa.predictNext / vjepa.search (server/features/commands.py). */
export interface Result {
    path: string;
    score: number;
    reason: string;
    detail?: string;
    name?: string;
    line?: number;
}

/** Shaped like vscode.QuickPickItem, plus where to go. */
export interface PickItem {
    label: string;
    description: string;
    detail?: string;
    path: string;
    line?: number;
}

/** The `vjepa/status` notification and the vjepa.status() result (the status snapshot in server/server.py). */
export interface Status {
    state: 'indexing' | 'training' | 'idle' | string;
    files?: number;
    units?: number;
    done?: number;
    total?: number;
    percentage?: number;
    model?: { name?: string; version?: string };
    folders?: { root: string; indexed: boolean; files?: number; units?: number }[];
}

const REASON_ICON: Record<string, string> = {
    temporal: '$(history)',
    spatial: '$(folder)',
    semantic: '$(symbol-keyword)',
    text: '$(search)',
    next: '$(arrow-right)',
};

/** Results as a list, whether the server sent a bare list or {results: [...]}; bad entries dropped. */
export function asResults(raw: unknown): Result[] {
    const list = Array.isArray(raw)
        ? raw
        : raw && typeof raw === 'object' && Array.isArray((raw as { results?: unknown }).results)
            ? (raw as { results: unknown[] }).results
            : [];
    return list.filter(
        (r): r is Result => !!r && typeof r === 'object' && typeof (r as Result).path === 'string' && (r as Result).path !== '',
    );
}

/** "tests/test_calc.py" with "$(history) temporal · 0.75" and the server's reason as detail. */
export function toPickItems(raw: unknown): PickItem[] {
    return asResults(raw).map((r) => {
        const icon = REASON_ICON[r.reason] ?? '$(file)';
        const score = typeof r.score === 'number' ? ` · ${r.score.toFixed(2)}` : '';
        const item: PickItem = {
            label: r.name ? `${r.name}` : r.path,
            description: `${r.name ? `${r.path}:${r.line ?? 1}  ` : ''}${icon} ${r.reason}${score}`,
            path: r.path,
        };
        if (r.detail) {
            item.detail = r.detail;
        }
        if (typeof r.line === 'number' && r.line > 0) {
            item.line = r.line;
        }
        return item;
    });
}

/**
 * The absolute path of a result: absolute paths stay; relative ones are taken against the first
 * workspace folder where `exists` says the file is (else the first folder).
 */
export function resolveResultPath(path: string, roots: string[], exists: (p: string) => boolean): string | undefined {
    if (path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path)) {
        return path;
    }
    const candidates = roots.map((root) => `${root.replace(/[\\/]+$/, '')}/${path}`);
    return candidates.find(exists) ?? candidates[0];
}

function totalFiles(s: Status): number | undefined {
    if (typeof s.files === 'number') {
        return s.files;
    }
    return s.folders?.reduce((n, f) => n + (f.files ?? 0), 0);
}

/** Status-bar text and tooltip: "$(sync~spin) VJEPA 3/10", "$(pulse) VJEPA 40%", "$(check) VJEPA". */
export function statusBar(status: unknown): { text: string; tooltip: string } {
    if (!status || typeof status !== 'object' || typeof (status as Status).state !== 'string') {
        return { text: '$(circle-slash) VJEPA', tooltip: 'VJEPA: not running' };
    }
    const s = status as Status;
    const files = totalFiles(s);
    const counts = [files !== undefined ? `${files} files` : '', typeof s.units === 'number' ? `${s.units} units` : '']
        .filter(Boolean).join(', ');
    const model = s.model?.name && s.model.name !== 'none' ? `; model: ${s.model.name}` : '';
    switch (s.state) {
        case 'indexing': {
            const progress = typeof s.total === 'number' ? ` ${s.done ?? 0}/${s.total}` : '';
            return { text: `$(sync~spin) VJEPA${progress}`, tooltip: `VJEPA is indexing${progress}${counts ? ` (${counts} so far)` : ''}` };
        }
        case 'training': {
            const pct = typeof s.percentage === 'number' ? ` ${Math.round(s.percentage)}%` : '';
            return { text: `$(pulse) VJEPA${pct}`, tooltip: `VJEPA is training${pct}${model}` };
        }
        case 'idle':
            return { text: '$(check) VJEPA', tooltip: `VJEPA is idle${counts ? `: ${counts}` : ''}${model}` };
        default:
            return { text: `VJEPA ${s.state}`, tooltip: `VJEPA: ${s.state}` };
    }
}

/** The status as a few readable lines (for "VJEPA: Show Swarm Status"). */
export function describeStatus(status: unknown): string {
    const s = status as Status;
    if (!s || typeof s !== 'object') {
        return 'VJEPA: no status';
    }
    const lines = [statusBar(s).tooltip];
    for (const f of s.folders ?? []) {
        lines.push(`${f.root}: ${f.indexed ? 'indexed' : 'not indexed yet'}${f.files !== undefined ? `, ${f.files} files` : ''}${f.units !== undefined ? `, ${f.units} units` : ''}`);
    }
    return lines.join('\n');
}

/** vjepa.trainNow()'s result ([{root, steps, seconds, model}] per folder) as one sentence. */
export function describeTraining(result: unknown): string {
    const runs = Array.isArray(result) ? result : [result];
    const parts = runs
        .filter((r): r is { root?: string; steps?: number; seconds?: number; model?: { version?: string } } => !!r && typeof r === 'object')
        .map((r) => {
            const name = (r.root ?? '').split(/[\\/]/).filter(Boolean).pop() ?? 'workspace';
            const time = typeof r.seconds === 'number' ? ` in ${r.seconds.toFixed(1)} s` : '';
            const version = r.model?.version ? `, model ${r.model.version.slice(0, 8)}` : '';
            return `${name}: ${r.steps ?? '?'} steps${time}${version}`;
        });
    return parts.length ? `Trained ${parts.join('; ')}.` : 'Nothing to train yet.';
}
